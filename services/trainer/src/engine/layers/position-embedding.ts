import * as tf from "@tensorflow/tfjs";

export interface PositionEmbeddingArgs {
  maxLength: number;
  outputDim: number;
  /** Seed of the embeddings' initializer. @default 0 */
  seed?: number;
  name?: string;
  trainable?: boolean;
}

/** Adds a learned vector per position to a [batch, length, dim] input (length <= maxLength). */
export class GraftPositionEmbedding extends tf.layers.Layer {
  static className = "GraftPositionEmbedding";
  private readonly maxLength: number;
  private readonly outputDim: number;
  private readonly seed: number;
  private embeddings: tf.LayerVariable | null = null;

  constructor(args: PositionEmbeddingArgs) {
    super(args);
    this.maxLength = args.maxLength;
    this.outputDim = args.outputDim;
    this.seed = args.seed ?? 0;
  }

  override build(): void {
    this.embeddings = this.addWeight(
      "embeddings",
      [this.maxLength, this.outputDim],
      "float32",
      tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.seed }),
    );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
      const length = x.shape[1] as number;
      const positions = (this.embeddings as tf.LayerVariable).read().slice([0, 0], [length, this.outputDim]);
      return x.add(positions);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), maxLength: this.maxLength, outputDim: this.outputDim, seed: this.seed };
  }
}
