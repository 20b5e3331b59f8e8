using Amortized.Networks.Flows;
using Amortized.Networks.Optim;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Networks.Tests.Flows;

/// <summary>
/// The analytic target the inference-network tests train on: 2-D x | c ~ N((c, -c / 2), [[0.5, 0.3], [0.3, 0.4]])
/// with one condition c ~ U(-1, 1), and the sample moments its draws are checked with.
/// </summary>
internal static class ConditionalGaussianTarget
{
    /// <summary>
    /// Trains <paramref name="network"/> (D = 2, C = 1) with Adam under a warm-up cosine schedule peaking at
    /// <paramref name="learningRate"/>; every batch is drawn from <paramref name="rng"/>, which the caller has
    /// already used to initialise the network.
    /// </summary>
    public static void Train(InferenceNetwork network, ParameterStore store, Rng rng, int steps, int batch,
        float learningRate)
    {
        double l11 = Math.Sqrt(0.5), l21 = 0.3 / l11, l22 = Math.Sqrt(0.4 - l21 * l21);
        var adam = new Adam(store, new AdamOptions
            { LearningRate = LearningRateSchedule.WarmupCosine(learningRate, Math.Min(50, steps / 2), steps, 1e-5f) });
        var workspace = new Workspace();
        var tape = new Tape();
        var x = Tensor.Zeros(batch, 2);
        var c = Tensor.Zeros(batch, 1);
        for (int s = 0; s < steps; s++)
        {
            for (int i = 0; i < batch; i++)
            {
                float ci = rng.Uniform(-1f, 1f), z1 = rng.Normal(), z2 = rng.Normal();
                c.Span[i] = ci;
                x.Span[2 * i] = ci + (float)(l11 * z1);
                x.Span[2 * i + 1] = -ci / 2 + (float)(l21 * z1 + l22 * z2);
            }
            workspace.Reset();
            store.ZeroGrad();
            using (workspace.Activate())
            using (tape.Record()) tape.Backward(network.Loss(x, c));
            adam.Update();
        }
    }

    /// <summary>Sample means and covariance (unbiased) of 2-D draws (n * 2, row-major).</summary>
    public static (double M1, double M2, double S11, double S12, double S22) Moments(float[] draws)
    {
        int n = draws.Length / 2;
        double m1 = 0, m2 = 0;
        for (int i = 0; i < n; i++) { m1 += draws[2 * i]; m2 += draws[2 * i + 1]; }
        m1 /= n; m2 /= n;
        double s11 = 0, s12 = 0, s22 = 0;
        for (int i = 0; i < n; i++)
        {
            double a = draws[2 * i] - m1, b = draws[2 * i + 1] - m2;
            s11 += a * a; s12 += a * b; s22 += b * b;
        }
        return (m1, m2, s11 / (n - 1), s12 / (n - 1), s22 / (n - 1));
    }
}
