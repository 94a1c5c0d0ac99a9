// rat.sample on its own, as a `function` model with dynamic shapes: the
// executable sample_check.py runs (rat-compile it for cpu or cuda).
func.func @sample(%logits: tensor<?x?xf32> {rat.name = "logits"},
                  %temperature: tensor<?xf32> {rat.name = "temperature"},
                  %top_k: tensor<?xi32> {rat.name = "top_k"},
                  %top_p: tensor<?xf32> {rat.name = "top_p"},
                  %seed: tensor<?xi64> {rat.name = "seed"},
                  %position: tensor<?xi32> {rat.name = "position"})
    -> (tensor<?xi32> {rat.name = "token"}) {
  %c0 = arith.constant 0 : index
  %rows = tensor.dim %logits, %c0 : tensor<?x?xf32>
  %init = tensor.empty(%rows) : tensor<?xi32>
  %token = rat.sample ins(%logits, %temperature, %top_k, %top_p, %seed,
                          %position
             : tensor<?x?xf32>, tensor<?xf32>, tensor<?xi32>, tensor<?xf32>,
               tensor<?xi64>, tensor<?xi32>)
           outs(%init : tensor<?xi32>) -> tensor<?xi32>
  return %token : tensor<?xi32>
}
