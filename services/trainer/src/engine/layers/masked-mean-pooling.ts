import * as tf from "@tensorflow/tfjs";

export interface MaskedMeanPoolingArgs {
  /** Positions whose token id equals it are left out of the mean. */
  padTokenId: number;
  name?: string;
  trainable?: boolean;
}

/** The mean over the non-padding positions of [x: [batch, length, dim], tokenIds: [batch, length]] -> [batch, dim]. */
export class GraftMaskedMeanPooling extends tf.layers.Layer {
  static className = "GraftMaskedMeanPooling";
  private readonly padTokenId: number;

  constructor(args: MaskedMeanPoolingArgs) {
    super(args);
    this.padTokenId = args.padTokenId;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, ids] = inputs as [tf.Tensor3D, tf.Tensor2D];
      const keep = tf.notEqual(ids, this.padTokenId).toFloat().expandDims(-1);
      // An all-padding row (an empty text) pools to zeros instead of dividing by zero.
      return x.mul(keep).sum(1).div(keep.sum(1).maximum(1));
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const xShape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [xShape[0] as number, xShape[2] as number];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padTokenId: this.padTokenId };
  }
}
