//===- Layer.cpp - The layer-kind registry and a model's layers -----------===//

#include "rat/Compiler/Layer.h"

using namespace mlir;
using namespace mlir::rat;

ArrayRef<LayerKind> mlir::rat::getLayerKinds() {
  static const LayerKind kinds[] = {
#define RAT_LAYER_KIND(DEFINER) get##DEFINER##LayerKind(),
#include "rat/Compiler/LayerKinds.def"
  };
  return kinds;
}

const LayerKind *mlir::rat::lookupLayerKind(StringRef name) {
  for (const LayerKind &kind : getLayerKinds())
    if (kind.name == name)
      return &kind;
  return nullptr;
}

SmallVector<const Layer *> ModelLayers::inOrder() const {
  SmallVector<const Layer *> layers;
  if (embedding)
    layers.push_back(embedding.get());
  for (auto [i, mixer] : llvm::enumerate(mixers)) {
    layers.push_back(mixer.get());
    if (i < feedForwards.size())
      layers.push_back(feedForwards[i].get());
  }
  if (head)
    layers.push_back(head.get());
  return layers;
}

ModelLayers mlir::rat::buildModelLayers(const ModelConfig &config,
                                        const ImportOptions &options) {
  ModelLayers model;
  bool isLm = config.kind == "lm";
  auto context = [&](int64_t index, std::string prefix) {
    return LayerContext{config, options, index, std::move(prefix)};
  };
  if (isLm)
    model.embedding = createEmbedding(context(0, ""));
  for (int64_t i = 0, n = isLm ? config.numLayers : 1; i < n; ++i) {
    const LayerKind *kind = lookupLayerKind(config.layerKind(i));
    assert(kind && "parseModelConfig checks the layer kinds");
    std::string layer = "backbone.layers." + std::to_string(i);
    model.mixers.push_back(
        kind->create(context(i, isLm ? layer + ".seq_layer." : "")));
    if (isLm)
      model.feedForwards.push_back(
          createFeedForward(context(i, layer + ".hidden_layer.")));
  }
  if (isLm)
    model.head = createLmHead(context(0, ""));
  return model;
}
