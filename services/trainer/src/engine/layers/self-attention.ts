import * as tf from "@tensorflow/tfjs";

export interface SelfAttentionArgs {
  numHeads: number;
  keyDim: number;
  /** Keys whose token id equals it are masked out. */
  padTokenId: number;
  /** Seed of the kernels' initializers. @default 0 */
  seed?: number;
  name?: string;
  trainable?: boolean;
}

/**
 * Multi-head scaled dot-product self-attention, the core of a transformer encoder, for
 * inputs [x: [batch, length, dim], tokenIds: [batch, length]]. Query, key, value and
 * output projections are its weights; padded keys get no attention. Output: [batch, length, dim].
 */
export class GraftSelfAttention extends tf.layers.Layer {
  static className = "GraftSelfAttention";
  private readonly numHeads: number;
  private readonly keyDim: number;
  private readonly padTokenId: number;
  private readonly seed: number;
  private readonly kernels: Record<"query" | "key" | "value" | "output", tf.LayerVariable | null> = {
    query: null,
    key: null,
    value: null,
    output: null,
  };
  private readonly biases: Record<"query" | "key" | "value" | "output", tf.LayerVariable | null> = {
    query: null,
    key: null,
    value: null,
    output: null,
  };

  constructor(args: SelfAttentionArgs) {
    super(args);
    this.numHeads = args.numHeads;
    this.keyDim = args.keyDim;
    this.padTokenId = args.padTokenId;
    this.seed = args.seed ?? 0;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const xShape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const dim = xShape[2] as number;
    const inner = this.numHeads * this.keyDim;
    const parts = ["query", "key", "value", "output"] as const;
    for (const [i, part] of parts.entries()) {
      const shape = part === "output" ? [inner, dim] : [dim, inner];
      this.kernels[part] = this.addWeight(
        `${part}_kernel`,
        shape,
        "float32",
        tf.initializers.glorotUniform({ seed: this.seed + i }),
      );
      this.biases[part] = this.addWeight(
        `${part}_bias`,
        [part === "output" ? dim : inner],
        "float32",
        tf.initializers.zeros(),
      );
    }
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, ids] = inputs as [tf.Tensor3D, tf.Tensor2D];
      const [batch, length] = x.shape as [number, number, number];
      const project = (part: "query" | "key" | "value") => {
        const kernel = (this.kernels[part] as tf.LayerVariable).read() as tf.Tensor2D;
        const bias = (this.biases[part] as tf.LayerVariable).read();
        const flat = x
          .reshape([batch * length, x.shape[2]])
          .matMul(kernel)
          .add(bias);
        // [batch, heads, length, keyDim]
        return flat.reshape([batch, length, this.numHeads, this.keyDim]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
      };
      const q = project("query");
      const k = project("key");
      const v = project("value");
      const padded = tf.equal(ids, this.padTokenId).toFloat().mul(-1e9).reshape([batch, 1, 1, length]);
      const scores = tf
        .matMul(q, k, false, true)
        .mul(1 / Math.sqrt(this.keyDim))
        .add(padded);
      const attended = tf.matMul(tf.softmax(scores, -1), v) as tf.Tensor4D;
      const merged = attended.transpose([0, 2, 1, 3]).reshape([batch * length, this.numHeads * this.keyDim]);
      const output = merged
        .matMul((this.kernels.output as tf.LayerVariable).read() as tf.Tensor2D)
        .add((this.biases.output as tf.LayerVariable).read());
      return output.reshape([batch, length, x.shape[2]]);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      padTokenId: this.padTokenId,
      seed: this.seed,
    };
  }
}
