using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;

namespace Amortized.Inference.Tests.Workflows;

/// <summary>
/// BayesFlow's usual set-up with two parameter keys: y_i = beta[0] + beta[1] x_i + sigma eps_i on a fixed design
/// x_i = -1 .. 1 (n = 10), under the conjugate normal-inverse-gamma prior sigma^2 ~ InvGamma(3, 1),
/// beta | sigma ~ N(0, sigma^2 I). The posterior mean of beta is then exact whatever sigma:
/// (I + X'X)^-1 X'y. The adapter constrains sigma and concatenates beta (2,) and sigma () into inference_variables.
/// </summary>
public sealed class LinearRegressionModel
{
    public const int N = 10;

    public static float X(int i) => -1f + 2f * i / (N - 1);

    public static Simulator BuildSimulator() => Simulator.Build()
        .Prior(r =>
        {
            // Gamma(3, 1) is half a chi-square with 6 degrees of freedom.
            double chi = 0;
            for (int k = 0; k < 6; k++) { float z = r.Normal(); chi += z * z; }
            float sigma = (float)Math.Sqrt(1.0 / (chi / 2));
            r.Set("sigma", sigma);
            r.Set("beta", [sigma * r.Normal(), sigma * r.Normal()]);
        })
        .Likelihood(r =>
        {
            ReadOnlySpan<float> beta = r.GetArray("beta");
            float sigma = r.Get("sigma");
            var y = new float[N];
            for (int i = 0; i < N; i++) y[i] = beta[0] + beta[1] * X(i) + sigma * r.Normal();
            r.Set("y", y);
        });

    public static Adapter BuildAdapter() => new Adapter()
        .Constrain("sigma", lower: 0)
        .Concatenate(["beta", "sigma"], Keys.InferenceVariables)
        .Concatenate(["y"], Keys.InferenceConditions);

    /// <summary>The exact posterior mean of beta (2) given y (N).</summary>
    public static (double, double) PosteriorMeanOfBeta(ReadOnlySpan<float> y)
    {
        // A = I + X'X, b = X'y with X = [1, x_i].
        double a00 = 1 + N, a01 = 0, a11 = 1, b0 = 0, b1 = 0;
        for (int i = 0; i < N; i++)
        {
            double x = X(i);
            a01 += x;
            a11 += x * x;
            b0 += y[i];
            b1 += x * y[i];
        }
        double det = a00 * a11 - a01 * a01;
        return ((a11 * b0 - a01 * b1) / det, (a00 * b1 - a01 * b0) / det);
    }

    /// <summary>A briefly trained workflow (shared by a test class: training is the slow part).</summary>
    public static BasicWorkflow Train(int epochs = 8)
    {
        var workflow = new BasicWorkflow(BuildAdapter(), new ApproximatorSpec
        {
            CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [32, 32], Dropout = 0f },
            Seed = 4,
        }, BuildSimulator());
        workflow.FitOnline(new TrainingOptions
        {
            Epochs = epochs, BatchesPerEpoch = 60, BatchSize = 64, LearningRate = 1e-3f, Seed = 5,
        });
        return workflow;
    }
}
