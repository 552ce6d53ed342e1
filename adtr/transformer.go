package adtr

import (
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's idiomatic dot import.
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// reconstructTransformer is ADTR's reconstructor (spec §1.2): tokens [B, K, C] → 1×1 in-projection
// → encoder → decoder (input: the learned query, or the encoder output) → final LayerNorm →
// 1×1 out-projection.
//
// Scopes: input_projection, positional_embedding, encoder/layer_i/{self_attention,feed_forward},
// query_embedding, decoder/layer_i/{self_attention,cross_attention,feed_forward}, final_norm,
// output_projection.
func reconstructTransformer(scope *model.Scope, cfg *Config, f *Node) *Node {
	b, h, w, c := f.Shape().Dim(0), f.Shape().Dim(1), f.Shape().Dim(2), f.Shape().Dim(3)
	x := layers.DenseWithBias(scope.In("input_projection"), Reshape(f, b, h*w, c), cfg.Hidden)
	pos := positionalEmbedding(scope.In("positional_embedding"), cfg, x, h, w)

	memory := encoder(scope.In("encoder"), cfg, x, pos)
	out := decoderInput(scope, cfg, memory)
	decoderScope := scope.In("decoder")
	for i := range cfg.DecoderLayers {
		out = decoderLayer(decoderScope.In("layer_%d", i), cfg, out, memory, pos)
	}
	if cfg.FinalNorm {
		out = layerNorm(scope.In("final_norm"), cfg, out)
	}
	y := layers.DenseWithBias(scope.In("output_projection"), out, c)
	return Reshape(y, b, h, w, c)
}

// encoder runs the encoder layers on tokens x [B, K, D]. With pre-norm the output gets a final
// LayerNorm (as in DETR/UniAD); with post-norm every layer already ends with one.
func encoder(scope *model.Scope, cfg *Config, x, pos *Node) *Node {
	for i := range cfg.EncoderLayers {
		layer := scope.In("layer_%d", i)
		x = subLayer(layer.In("self_attention"), cfg, x, func(s *model.Scope, x *Node) *Node {
			return selfMixer(s, cfg, x, pos)
		})
		x = subLayer(layer.In("feed_forward"), cfg, x, func(s *model.Scope, x *Node) *Node {
			return feedForward(s, cfg, x)
		})
	}
	if cfg.PreNorm {
		x = layerNorm(scope.In("final_norm"), cfg, x)
	}
	return x
}

// decoderInput is the decoder's input [B, K, D]: the auxiliary query embedding q ∈ R^{K×D}
// (a variable in scope "query_embedding", broadcast over the batch and independent of the input),
// or the encoder output memory for Query "none".
func decoderInput(scope *model.Scope, cfg *Config, memory *Node) *Node {
	if cfg.Query == QueryNone {
		return memory
	}
	b, k, d := memory.Shape().Dim(0), memory.Shape().Dim(1), memory.Shape().Dim(2)
	q := scope.In("query_embedding").VariableWithShape("embedding", shapes.Make(memory.DType(), k, d))
	return BroadcastToDims(Reshape(q.NodeValue(memory.Graph()), 1, k, d), b, k, d)
}

// decoderLayer: self-attention over the decoder tokens, cross-attention from them to the encoder
// output, feed-forward.
func decoderLayer(scope *model.Scope, cfg *Config, x, memory, pos *Node) *Node {
	x = subLayer(scope.In("self_attention"), cfg, x, func(s *model.Scope, x *Node) *Node {
		return selfMixer(s, cfg, x, pos)
	})
	x = subLayer(scope.In("cross_attention"), cfg, x, func(s *model.Scope, x *Node) *Node {
		return crossMixer(s, cfg, x, memory, pos)
	})
	return subLayer(scope.In("feed_forward"), cfg, x, func(s *model.Scope, x *Node) *Node {
		return feedForward(s, cfg, x)
	})
}

// subLayer wraps fn with the residual connection, dropout on its output and a LayerNorm ("norm"):
// post-norm LN(x + drop(fn(x))), or pre-norm x + drop(fn(LN(x))).
func subLayer(scope *model.Scope, cfg *Config, x *Node, fn func(scope *model.Scope, x *Node) *Node) *Node {
	if cfg.PreNorm {
		return Add(x, dropout(scope, cfg, fn(scope, layerNorm(scope.In("norm"), cfg, x))))
	}
	return layerNorm(scope.In("norm"), cfg, Add(x, dropout(scope, cfg, fn(scope, x))))
}

// selfMixer mixes the tokens x [B, K, D] among themselves: multi-head self-attention with the
// positional embedding added to queries and keys only (q = k = x + pos, v = x), or for Mixer
// "mlp" a per-token MLP of x + pos.
func selfMixer(scope *model.Scope, cfg *Config, x, pos *Node) *Node {
	withPos := Add(x, pos)
	if cfg.Mixer == MixerMLP {
		return tokenMLP(scope.In("mlp"), cfg, withPos)
	}
	return multiHeadAttention(scope, cfg, withPos, withPos, x)
}

// crossMixer mixes the encoder output into the decoder tokens: attention with q = x + pos,
// k = memory + pos, v = memory; or for Mixer "mlp" a per-token MLP of [x + pos, memory] (the same
// grid position only).
func crossMixer(scope *model.Scope, cfg *Config, x, memory, pos *Node) *Node {
	if cfg.Mixer == MixerMLP {
		return tokenMLP(scope.In("mlp"), cfg, Concatenate([]*Node{Add(x, pos), memory}, -1))
	}
	return multiHeadAttention(scope, cfg, Add(x, pos), Add(memory, pos), memory)
}

// multiHeadAttention is multi-head attention with separate Q/K/V/output projections with bias
// (as PyTorch's nn.MultiheadAttention: scopes query, key, value, output) and dropout on the
// attention weights. The heads are laid out [B, heads, tokens, D/heads] for GoMLX's attention.Core,
// so the [B, heads, K, K] attention weights are produced and consumed batch-major; the
// attention.MultiHeadAttention layer (which would also accept separate q/k/v) uses the
// [B, tokens, heads, ·] layout, whose einsums cost extra transposes on the Go backend.
func multiHeadAttention(scope *model.Scope, cfg *Config, query, key, value *Node) *Node {
	b, d := query.Shape().Dim(0), cfg.Hidden
	heads := func(name string, x *Node) *Node {
		x = layers.DenseWithBias(scope.In("%s", name), x, d)
		return TransposeAllAxes(Reshape(x, b, x.Shape().Dim(1), cfg.Heads, d/cfg.Heads), 0, 2, 1, 3)
	}
	q, k, v := heads("query", query), heads("key", key), heads("value", value)
	options := attention.CoreOptions{Scope: scope}
	if cfg.Dropout > 0 {
		options.DropoutRate = Scalar(query.Graph(), query.DType(), cfg.Dropout)
	}
	out, _ := attention.Core(q, k, v, attention.LayoutBHSD, options)
	out = Reshape(TransposeAllAxes(out, 0, 2, 1, 3), b, query.Shape().Dim(1), d)
	return layers.DenseWithBias(scope.In("output"), out, d)
}

// tokenMLP is the "without attention" mixer: Dense(D) → ReLU → Dense(D), per token.
func tokenMLP(scope *model.Scope, cfg *Config, x *Node) *Node {
	x = activation.Relu(layers.DenseWithBias(scope.In("hidden"), x, cfg.Hidden))
	return layers.DenseWithBias(scope.In("output"), x, cfg.Hidden)
}

// feedForward is D → FFN → D with ReLU and dropout on the hidden layer.
func feedForward(scope *model.Scope, cfg *Config, x *Node) *Node {
	hidden := activation.Relu(layers.DenseWithBias(scope.In("linear1"), x, cfg.FFN))
	return layers.DenseWithBias(scope.In("linear2"), dropout(scope, cfg, hidden), cfg.Hidden)
}

// dropout applies cfg.Dropout in training graphs only (layers.DropoutStatic checks
// scope.IsTraining).
func dropout(scope *model.Scope, cfg *Config, x *Node) *Node {
	return layers.DropoutStatic(scope, x, cfg.Dropout)
}

// layerNorm normalises the last axis with a learned gain and offset.
func layerNorm(scope *model.Scope, cfg *Config, x *Node) *Node {
	return norm.LayerNorm(scope, x, -1).Epsilon(cfg.LayerNormEpsilon).Done()
}

// positionalEmbedding returns the [1, K, D] positional embedding of an h×w grid (row-major tokens),
// in like's dtype. "learned": variables "row" [h, D/2] and "column" [w, D/2], initialised
// U[0, 1) like UniAD, and pos(i, j) = [row(i), column(j)]. "sine": DETR's normalised sine
// embedding, [sine(i), sine(j)].
func positionalEmbedding(scope *model.Scope, cfg *Config, like *Node, h, w int) *Node {
	g := like.Graph()
	half := cfg.Hidden / 2
	var rows, cols *Node
	if cfg.Position == PositionSine {
		rows = ConvertDType(Const(g, tensors.FromFlatDataAndDimensions(sineTable(h, half), h, half)), like.DType())
		cols = ConvertDType(Const(g, tensors.FromFlatDataAndDimensions(sineTable(w, half), w, half)), like.DType())
	} else {
		uniform := scope.WithInitializer(initializer.RandomUniformFn(scope, 0, 1))
		rows = uniform.VariableWithShape("row", shapes.Make(like.DType(), h, half)).NodeValue(g)
		cols = uniform.VariableWithShape("column", shapes.Make(like.DType(), w, half)).NodeValue(g)
	}
	rows = BroadcastToDims(Reshape(rows, h, 1, half), h, w, half)
	cols = BroadcastToDims(Reshape(cols, 1, w, half), h, w, half)
	return Reshape(Concatenate([]*Node{rows, cols}, -1), 1, h*w, cfg.Hidden)
}

// sineTable is DETR's PositionEmbeddingSine for one axis of length n with `features` features:
// position p ∈ 1..n normalised to 2π·p/(n+1e-6), features 2i and 2i+1 are sin and cos of
// p/10000^(2i/features).
func sineTable(n, features int) []float64 {
	table := make([]float64, n*features)
	for p := range n {
		x := 2 * math.Pi * float64(p+1) / (float64(n) + 1e-6)
		for i := 0; i < features; i += 2 {
			freq := math.Pow(10000, float64(i)/float64(features))
			table[p*features+i] = math.Sin(x / freq)
			table[p*features+i+1] = math.Cos(x / freq)
		}
	}
	return table
}
