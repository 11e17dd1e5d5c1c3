/**
 * nn: activations, initializers, stax-style layers and losses, all written
 * in np/lax so that they compose with grad, vmap and jit.
 * @example
 * import { nn, np, random, grad, type Array } from "jaxon-ts";
 * const net = nn.serial(nn.Dense(16), nn.Relu, nn.Dense(1));
 * const [, params] = net.init(random.key(0), [-1, 3]);
 * const loss = (p: typeof params, x: Array, y: Array) => nn.mse(net.apply(p, x), y);
 * const grads = grad(loss)(params, np.ones([8, 3]), np.zeros([8, 1]));
 */
export {
  relu, relu6, sigmoid, tanh, softplus, logSigmoid, softSign, gelu, silu, swish, elu, celu, selu, leakyRelu, hardTanh, hardSigmoid,
  logsumexp, softmax, logSoftmax, standardize, oneHot,
} from "./activations.js";
export type { Axes, GeluOptions, LogsumexpOptions, StandardizeOptions, OneHotOptions } from "./activations.js";
export * as initializers from "./initializers.js";
export type { Initializer } from "./initializers.js";
export {
  Dense, Identity, Relu, Sigmoid, Tanh, Gelu, Silu, Softplus, Elu, LeakyRelu, Softmax, LogSoftmax, Flatten, Dropout,
  serial, parallel, fanOut, FanInSum, FanInConcat,
} from "./layers.js";
export type { Layer, AnyLayer, LayerShape, ApplyOptions, DenseOptions, DenseParams } from "./layers.js";
export type { ParamsOf, ParamsOfLayers, SerialLayer } from "./layers.js";
export { mse, softmaxCrossEntropy, softmaxCrossEntropyWithIntegerLabels, binaryCrossEntropyWithLogits, huber } from "./losses.js";
export type { Reduction, LossOptions, HuberOptions } from "./losses.js";
export { identity, glu, mish, hardSilu, hardSwish, squareplus, log1mexp, logmeanexp, sparsePlus, sparseSigmoid } from "./activations-extra.js";
export type { LogmeanexpOptions } from "./activations-extra.js";
export { sigmoidBinaryCrossEntropy, l2Loss, huberLoss, cosineSimilarity, cosineDistance, klDivergence } from "./losses-extra.js";
export type { CosineOptions, KlDivergenceOptions } from "./losses-extra.js";
export { maxPool, minPool, avgPool, MaxPool, AvgPool, SumPool, GlobalAvgPool } from "./pooling.js";
export type { PoolOptions, AvgPoolOptions, PoolLayerOptions } from "./pooling.js";
// normalization, attention, Embed, state (issue #15)
export { initWithState, applyWithState } from "./layers.js";
export { LayerNorm, RMSNorm, GroupNorm, BatchNorm } from "./normalization.js";
export type { NormParams, NormOptions, LayerNormOptions, GroupNormOptions, BatchNormOptions, BatchNormState } from "./normalization.js";
export { dotProductAttention, sinusoidalPositionalEncoding } from "./attention.js";
export type { DotProductAttentionOptions, SinusoidalOptions } from "./attention.js";
export { MultiHeadAttention, PositionalEncoding } from "./attention-layers.js";
export type { MultiHeadAttentionParams, MultiHeadAttentionOptions, ProjectionParams, AttentionApplyOptions, PositionalEncodingOptions } from "./attention-layers.js";
export { Embed } from "./embedding.js";
export type { EmbedParams, EmbedOptions, EmbedLayer } from "./embedding.js";
export { Conv, ConvTranspose } from "./conv-layers.js";
export type { ConvOptions, ConvParams, ConvTransposeLayerOptions } from "./conv-layers.js";
