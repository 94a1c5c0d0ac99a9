//===- Float.h - bf16 and f16 conversions -----------------------*- C++ -*-===//
//
// Bit-exact conversions between f32 and the 16-bit float formats, used when a
// checkpoint's storage type differs from the compiled model's. Narrowing
// rounds to nearest, ties to even (what PyTorch and numpy do), so converting
// a checkpoint here gives the same bits as converting it in Python first.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_FLOAT_H
#define RAT_RUNTIME_FLOAT_H

#include <cstdint>
#include <cstring>

namespace rat {

/// Widens a bfloat16 bit pattern to f32 (exact).
inline float bf16ToF32(uint16_t value) {
  uint32_t bits = static_cast<uint32_t>(value) << 16;
  float result;
  std::memcpy(&result, &bits, sizeof(result));
  return result;
}

/// Narrows f32 to bfloat16, rounding to nearest even. NaNs stay (quiet) NaNs
/// with their sign; overflow rounds to infinity as IEEE requires.
inline uint16_t f32ToBf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  uint32_t roundingBias = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + roundingBias) >> 16);
}

/// Widens an IEEE binary16 bit pattern to f32 (exact, subnormals included).
inline float f16ToF32(uint16_t value) {
  uint32_t sign = static_cast<uint32_t>(value & 0x8000u) << 16;
  uint32_t exponent = (value >> 10) & 0x1fu;
  uint32_t mantissa = value & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal: shift the mantissa up to an implicit leading one.
    uint32_t shift = 0;
    while (!(mantissa & 0x400u)) {
      mantissa <<= 1;
      ++shift;
    }
    bits = sign | ((113 - shift) << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float result;
  std::memcpy(&result, &bits, sizeof(result));
  return result;
}

/// Narrows f32 to IEEE binary16, rounding to nearest even, with gradual
/// underflow to subnormals and overflow to infinity. NaNs stay quiet NaNs.
inline uint16_t f32ToF16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {
    if (magnitude == 0x7f800000u)
      return static_cast<uint16_t>(sign | 0x7c00u);
    return static_cast<uint16_t>(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
  }
  // 65520 is the midpoint between the largest half (65504) and 2^16; it ties
  // to the even neighbour, which is infinity.
  if (magnitude >= 0x477ff000u)
    return static_cast<uint16_t>(sign | 0x7c00u);
  if (magnitude >= 0x38800000u) {
    // Normal range: rebias the exponent and round off 13 mantissa bits.
    uint32_t half = (magnitude - 0x38000000u) >> 13;
    uint32_t remainder = magnitude & 0x1fffu;
    if (remainder > 0x1000u || (remainder == 0x1000u && (half & 1u)))
      ++half; // A carry into the exponent is the correct rounding.
    return static_cast<uint16_t>(sign | half);
  }
  // Below 2^-25 everything rounds to zero (2^-25 itself ties to zero).
  if (magnitude <= 0x33000000u)
    return sign;
  // Subnormal half: value / 2^-24, rounded to nearest even.
  uint32_t exponent = magnitude >> 23;
  uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
  uint32_t shift = 126 - exponent;
  uint32_t half = mantissa >> shift;
  uint32_t remainder = mantissa & ((1u << shift) - 1);
  uint32_t midpoint = 1u << (shift - 1);
  if (remainder > midpoint || (remainder == midpoint && (half & 1u)))
    ++half;
  return static_cast<uint16_t>(sign | half);
}

} // namespace rat

#endif // RAT_RUNTIME_FLOAT_H
