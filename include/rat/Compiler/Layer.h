//===- Layer.h - One definition per layer kind ------------------*- C++ -*-===//
//
// Every part of a model the importer builds is a Layer: it states its
// weights and its decode state once, and builds its prefill (a whole
// sequence) and its decode step (one token, state in and out) from them. The
// importer (ModelImporter.cpp) only assembles layers into entries, and the
// size checks (ConfigLimits.cpp) read the same weight and state lists.
//
// The sequence-mixing kinds a config's `layer_pattern` names (rat, swa,
// attention) are registered in LayerKinds.def; the parts every LM has
// (embedding, feed-forward, head) are created directly. A new kind is one
// file under lib/Compiler/Layers/ and one line in LayerKinds.def.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_COMPILER_LAYER_H
#define RAT_COMPILER_LAYER_H

#include "rat/Compiler/GraphBuilder.h"
#include "rat/Compiler/ModelConfig.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cmath>
#include <memory>
#include <string>
#include <utility>

namespace mlir {
namespace rat {

/// A weight: its checkpoint name and shape.
struct WeightSpec {
  std::string name;
  SmallVector<int64_t> shape;
};

/// A decode-state tensor of one sequence (the batch dimension leads it in
/// the entries): its name in the manifest and its shape.
struct StateSpec {
  std::string name;
  SmallVector<int64_t> shape;
};

/// Where a layer sits in the model, and what it is built from.
struct LayerContext {
  const ModelConfig &config;
  const ImportOptions &options;
  /// Position in the model (0 for a rat_layer model).
  int64_t index = 0;
  /// Prefix of its checkpoint names (`backbone.layers.3.seq_layer.`; empty
  /// for a rat_layer model).
  std::string weightPrefix;

  /// `layers.<index>.<what>`: the manifest name of a state tensor.
  std::string stateName(llvm::StringRef what) const {
    return "layers." + std::to_string(index) + "." + what.str();
  }
  /// Softmax scale of the attention: 1 / sqrt(d_head).
  double attentionScale() const {
    return 1.0 / std::sqrt(double(config.dHead));
  }
};

/// Named values of a layer's prefill that a model may return
/// (rat_layer --intermediates).
using NamedValues = SmallVector<std::pair<std::string, Value>>;

class Layer {
public:
  explicit Layer(LayerContext context) : ctx(std::move(context)) {}
  virtual ~Layer() = default;

  /// The weights, in the order the entries take them.
  virtual SmallVector<WeightSpec> weights() const = 0;
  /// The decode state of one sequence, in the order the entries take it.
  virtual SmallVector<StateSpec> state() const { return {}; }

  /// The layer over a whole sequence (`[B, T, D]`; the embedding takes
  /// `[B, T]` tokens). `weights` are the values of weights(). With
  /// `stateOut`, appends the decode state after the last token, in state()
  /// order; with `intermediates`, the kind's named intermediates.
  virtual Value prefill(GraphBuilder &g, ValueRange weights, Value x,
                        SmallVectorImpl<Value> *stateOut,
                        NamedValues *intermediates) const = 0;

  /// One decode step on `[B, 1, D]` (the embedding takes `[B]` tokens) at
  /// `position`: an `index` (a rat_layer model: every sequence at one
  /// position) or i32 `[B]` (an LM: each sequence at its own position),
  /// which the rat step ops and rope take either way. `state` holds the
  /// state in (state() order) and is replaced by the state out.
  virtual Value step(GraphBuilder &g, ValueRange weights, Value x,
                     Value position, SmallVectorImpl<Value> &state) const = 0;

protected:
  LayerContext ctx;
};

/// A layer without decode state whose step is its prefill on one token.
class StatelessLayer : public Layer {
public:
  using Layer::Layer;
  /// The layer on `x`, whatever its sequence length.
  virtual Value apply(GraphBuilder &g, ValueRange weights, Value x) const = 0;

  Value prefill(GraphBuilder &g, ValueRange weights, Value x,
                SmallVectorImpl<Value> *, NamedValues *) const override {
    return apply(g, weights, x);
  }
  Value step(GraphBuilder &g, ValueRange weights, Value x, Value,
             SmallVectorImpl<Value> &) const override {
    return apply(g, weights, x);
  }
};

//===----------------------------------------------------------------------===//
// Sequence-mixing kinds (layer_pattern)
//===----------------------------------------------------------------------===//

/// A kind `layer_pattern` can name.
struct LayerKind {
  /// Its name in `layer_pattern`.
  llvm::StringRef name;
  /// What a config that uses the kind must satisfy: "" or the error.
  std::string (*checkConfig)(const ModelConfig &config);
  /// A layer of the kind.
  std::unique_ptr<Layer> (*create)(LayerContext context);
};

/// `LayerKind getRatLayerKind();` and the others of LayerKinds.def, each
/// defined by its file under lib/Compiler/Layers/.
#define RAT_LAYER_KIND(DEFINER) LayerKind get##DEFINER##LayerKind();
#include "rat/Compiler/LayerKinds.def"

/// The registered kinds, in the order of LayerKinds.def.
llvm::ArrayRef<LayerKind> getLayerKinds();

/// The kind named `name`, or nullptr.
const LayerKind *lookupLayerKind(llvm::StringRef name);

//===----------------------------------------------------------------------===//
// The parts of every language model (lib/Compiler/Layers/)
//===----------------------------------------------------------------------===//

/// Token embedding `embedding.wte.weight` (`[B, T]` or `[B]` i32 tokens).
std::unique_ptr<Layer> createEmbedding(LayerContext context);
/// The feed-forward block after layer `index`'s mixer (exact GELU).
std::unique_ptr<Layer> createFeedForward(LayerContext context);
/// Final norm and LM head: f32 logits `[B, T, V]`.
std::unique_ptr<Layer> createLmHead(LayerContext context);

//===----------------------------------------------------------------------===//
// The layers of a model
//===----------------------------------------------------------------------===//

/// The layers of a model.
struct ModelLayers {
  /// An lm's embedding (null for a rat_layer model).
  std::unique_ptr<Layer> embedding;
  /// Each layer's sequence mixer (the kind `layer_pattern` names).
  SmallVector<std::unique_ptr<Layer>> mixers;
  /// An lm's feed-forward block after each mixer (empty for a rat_layer).
  SmallVector<std::unique_ptr<Layer>> feedForwards;
  /// An lm's final norm and head (null for a rat_layer model).
  std::unique_ptr<Layer> head;

  /// Every layer in the order the entries take their weights: embedding,
  /// mixer 0, feed-forward 0, mixer 1, ..., head.
  SmallVector<const Layer *> inOrder() const;
};

/// The layers of `config`: an lm's embedding, mixers, feed-forward blocks
/// and head, or a rat_layer model's one mixer. The mixers' kinds are looked
/// up in the registry (parseModelConfig has checked them).
ModelLayers buildModelLayers(const ModelConfig &config,
                             const ImportOptions &options);

} // namespace rat
} // namespace mlir

#endif // RAT_COMPILER_LAYER_H
