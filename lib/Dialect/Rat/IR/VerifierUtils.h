//===- VerifierUtils.h - What the rat op verifiers share --------*- C++ -*-===//
//
// The checks every verifier of RatOps.cpp (norm, rope, matmul, sample) and
// ScanAttentionOps.cpp (the scans, the attention ops and their decode steps)
// is built from: ShapeChecker's named-operand shape rules, whose messages
// follow `'rat.op' op key dim 2 (45) must equal query dim 2 (44)`, the
// destination-passing form, and the softmax scale.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_DIALECT_RAT_IR_VERIFIERUTILS_H
#define RAT_LIB_DIALECT_RAT_IR_VERIFIERUTILS_H

#include "rat/Dialect/Rat/IR/RatOps.h"

#include <optional>

namespace mlir::rat::verification {

/// Checks shapes of named operands and reports violations in the form
/// `'rat.op' op key dim 2 (45) must equal query dim 2 (44)`.
class ShapeChecker {
public:
  explicit ShapeChecker(Operation *op) : op(op) {}

  static ShapedType type(Value v) { return cast<ShapedType>(v.getType()); }

  LogicalResult rank(Value v, StringRef name, int64_t expected) {
    int64_t actual = type(v).getRank();
    if (actual != expected)
      return op->emitOpError()
             << name << " must have rank " << expected << ", got " << actual;
    return success();
  }

  LogicalResult minRank(Value v, StringRef name, int64_t minimum) {
    int64_t actual = type(v).getRank();
    if (actual < minimum)
      return op->emitOpError()
             << name << " must have rank >= " << minimum << ", got " << actual;
    return success();
  }

  /// Dimension `ad` of `a` must equal dimension `bd` of `b` when both are
  /// static.
  LogicalResult sameDim(Value a, StringRef an, int64_t ad, Value b,
                        StringRef bn, int64_t bd) {
    int64_t x = type(a).getDimSize(ad), y = type(b).getDimSize(bd);
    if (ShapedType::isDynamic(x) || ShapedType::isDynamic(y) || x == y)
      return success();
    return op->emitOpError()
           << an << " dim " << ad << " (" << x << ") must equal " << bn
           << " dim " << bd << " (" << y << ")";
  }

  /// `a` and `b` have the same rank and compatible dimensions.
  LogicalResult sameShape(Value a, StringRef an, Value b, StringRef bn) {
    int64_t ra = type(a).getRank(), rb = type(b).getRank();
    if (ra != rb)
      return op->emitOpError() << an << " rank (" << ra << ") must equal " << bn
                               << " rank (" << rb << ")";
    for (int64_t d = 0; d < ra; ++d)
      if (failed(sameDim(a, an, d, b, bn, d)))
        return failure();
    return success();
  }

  /// Dimension `gd` of `g` (a group count) must divide dimension `hd` of `h`.
  LogicalResult divides(Value g, StringRef gn, int64_t gd, Value h,
                        StringRef hn, int64_t hd) {
    int64_t x = type(g).getDimSize(gd), y = type(h).getDimSize(hd);
    if (ShapedType::isDynamic(x) || ShapedType::isDynamic(y))
      return success();
    if (x == 0 || y % x != 0)
      return op->emitOpError()
             << hn << " dim " << hd << " (" << y << ") must be divisible by "
             << gn << " dim " << gd << " (" << x << ")";
    return success();
  }

  /// Every operand in `values` has the same float element type.
  LogicalResult
  sameFloatElementType(ArrayRef<std::pair<Value, StringRef>> values) {
    Type first = type(values.front().first).getElementType();
    for (auto [v, name] : values) {
      Type et = type(v).getElementType();
      if (!isa<FloatType>(et))
        return op->emitOpError()
               << name << " must have a float element type, got " << et;
      if (et != first)
        return op->emitOpError()
               << name << " element type (" << et << ") must equal "
               << values.front().second << " element type (" << first << ")";
    }
    return success();
  }

  /// Per-sequence positions `positions` (when not an index) index dim 0 of
  /// `v`, which needs rank >= `minRank`.
  LogicalResult positionsOver(Value positions, StringRef pn, Value v,
                              StringRef vn, int64_t minRank) {
    if (!hasPerSequencePositions(positions))
      return success();
    if (failed(this->minRank(v, (vn + " (with per-sequence " + pn + ")").str(),
                             minRank)))
      return failure();
    return sameDim(positions, pn, 0, v, vn, 0);
  }

  LogicalResult positive(StringRef name, int64_t value) {
    if (value < 1)
      return op->emitOpError() << name << " must be >= 1, got " << value;
    return success();
  }

private:
  Operation *op;
};

/// Checks the destination-passing form shared by every rat op: operands are
/// all tensors (one result per destination, of the destination's type) or all
/// memrefs (no results).
LogicalResult verifyDpsForm(Operation *op, unsigned numInits);

/// The optional `scale` attribute as a double.
inline std::optional<double> toDouble(std::optional<APFloat> v) {
  if (!v)
    return std::nullopt;
  return v->convertToDouble();
}

/// A given `scale` must be > 0.
LogicalResult verifyScale(Operation *op, std::optional<double> scale);

/// The default softmax scale `Dh^-0.5`, from the static last dim of `query`.
double defaultScale(std::optional<double> scale, Value query);

} // namespace mlir::rat::verification

#endif // RAT_LIB_DIALECT_RAT_IR_VERIFIERUTILS_H
