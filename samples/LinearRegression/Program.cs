// Bayesian linear regression, BayesFlow's usual set-up: the inference variables concatenate two keys, a vector
// `beta` (intercept, slope) and a scalar `sigma`, and the data are a set of (x, y) pairs read by a DeepSet.
// Run: dotnet run -c Release [epochs]   (CI passes 2)
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Distributions;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Amortized.Networks.Summaries;
using Amortized.Tensors;

int epochs = args.Length > 0 ? int.Parse(args[0]) : 50;
const int n = 25;

var simulator = Simulator.Build()
    .Prior(r =>
    {
        r.Set("beta", [r.Draw(new Normal(0, 2)), r.Draw(new Normal(0, 2))]);
        r.Draw("sigma", new HalfNormal(1));
    })
    .Likelihood(r =>
    {
        var beta = r.GetArray("beta");
        float b0 = beta[0], b1 = beta[1], sigma = r.Get("sigma");
        var x = new float[n];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = r.Normal(0, 1);
            y[i] = b0 + b1 * x[i] + sigma * r.Normal();
        }
        r.Set("x", x);
        r.Set("y", y);
    });

var adapter = new Adapter()
    .Constrain("sigma", lower: 0)                                    // the flow sees log-like sigma
    .Concatenate(["beta", "sigma"], into: Keys.InferenceVariables)   // (B, 3): beta[0], beta[1], sigma
    .ExpandDims("x", -1).ExpandDims("y", -1)
    .Concatenate(["x", "y"], into: Keys.SummaryVariables);           // (B, n, 2): a set of pairs

var workflow = new BasicWorkflow(adapter, new ApproximatorSpec
{
    Summary = SummaryNetworkKind.DeepSet,
    DeepSet = new DeepSetOptions { SummaryDim = 8 },
}, simulator);
var history = workflow.FitOnline(new TrainingOptions { Epochs = epochs, BatchesPerEpoch = 100, Seed = 1 });

// One data set with known truth: beta = (1, -0.5), sigma = 0.3.
var rng = new Rng(7);
float[] xs = new float[n], ys = new float[n];
for (int i = 0; i < n; i++) { xs[i] = rng.Normal(); ys[i] = 1f - 0.5f * xs[i] + 0.3f * rng.Normal(); }
var observed = new SimulationBatch(1).Set("x", xs, 1, n).Set("y", ys, 1, n);

var draws = workflow.Sample(observed, numSamples: 2000, seed: 2);
float[] beta = draws.Get("beta"), sigmas = draws.Get("sigma");
double Mean(float[] v, int offset, int stride) =>
    Enumerable.Range(0, v.Length / stride).Average(i => (double)v[i * stride + offset]);
Console.WriteLine($"posterior means: beta[0] {Mean(beta, 0, 2):F2} (true 1), beta[1] {Mean(beta, 1, 2):F2} " +
    $"(true -0.5), sigma {Mean(sigmas, 0, 1):F2} (true 0.3), after {history.Steps} steps");

var report = workflow.ComputeDiagnostics(numDatasets: 300, numSamples: 500);   // named beta[0], beta[1], sigma
Console.WriteLine(string.Join('\n', report.Rows.Select(r => $"{r.Metric,-24} {r.Parameter,-8} {r.Value,8:G3}  {r.Verdict}")));
