"""Dimensions of a model config and the weight names and shapes of the
benchmark LMs (reference checkpoint names), shared by the torch weight
generator (rat_torch.random_lm_weights) and the numpy one
(random_weights.random_lm_np). No torch needed."""


def layer_dims(cfg):
    D, H = cfg["d_model"], cfg["num_head"]
    Dh, G, L = cfg.get("d_head", D // H), cfg.get("ngroups", 1), cfg.get("chunk_size", 16)
    return D, H, Dh, G, L


def lm_weight_shapes(cfg):
    """{name: shape} of a RAT / RAT-SWA LM with the reference names."""
    D, Dh, G = cfg["d_model"], cfg["d_head"], cfg.get("ngroups", 1)
    V = cfg["vocab_size"]
    pattern = cfg.get("layer_pattern", ["rat"])
    shapes = {"embedding.wte.weight": (V, D), "backbone.ln.weight": (D,),
              "head.lm_head.weight": (V, D)}
    for i in range(cfg["num_layers"]):
        pre = "backbone.layers.%d." % i
        kind = pattern[i % len(pattern)]
        rows = 3 * D + 2 * G * Dh if kind == "rat" else 3 * D
        shapes[pre + "seq_layer.input_norm.weight"] = (D,)
        shapes[pre + "seq_layer.in_proj.weight"] = (rows, D)
        if kind == "rat":
            shapes[pre + "seq_layer.gate_bias"] = (D,)
        shapes[pre + "seq_layer.out_proj.weight"] = (D, D)
        shapes[pre + "hidden_layer.ln.weight"] = (D,)
        shapes[pre + "hidden_layer.fc1.weight"] = (4 * D, D)
        shapes[pre + "hidden_layer.fc2.weight"] = (D, 4 * D)
    return shapes
