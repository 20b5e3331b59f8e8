using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Amortized.Networks.Summaries;
using Amortized.Plots;

int epochs = args.Length > 0 ? int.Parse(args[0]) : 30;   // CI passes 1

// mu ~ N(0, 1); n ~ U{10..100} points x_i ~ N(mu, 1), padded to 100 with a mask.
var simulator = Simulator.Build()
    .Context(r => r.Set("n", r.Integer(10, 101)))                       // once per batch
    .Prior(r => r.Set("mu", [r.Normal(0, 1)]))                           // once per row
    .Likelihood(r =>
    {
        int n = r.GetInt("n");
        float mu = r.Get("mu");
        var x = new float[100];
        var observed = new float[100];
        for (int i = 0; i < n; i++) { x[i] = r.Normal(mu, 1); observed[i] = 1; }
        r.Set("x", x);
        r.Set("observed", observed);
    });

var adapter = new Adapter()
    .ExpandDims("x", -1).Sqrt("n")
    .Concatenate(["mu"], into: Keys.InferenceVariables)
    .Concatenate(["n"], into: Keys.InferenceConditions)
    .Rename("x", Keys.SummaryVariables)
    .Rename("observed", Keys.SummaryMask);

var workflow = new BasicWorkflow(adapter, new ApproximatorSpec
{
    CouplingFlow = new CouplingFlowOptions { Depth = 4 },
    Summary = SummaryNetworkKind.DeepSet,
    DeepSet = new DeepSetOptions { SummaryDim = 8 },
}, simulator);
TrainingHistory history = workflow.FitOnline(
    new TrainingOptions { Epochs = epochs, BatchesPerEpoch = 100, BatchSize = 64, Seed = 1 });

// One observed data set: 40 points, padded to the simulator's 100 with the mask.
float[] points = [.. Enumerable.Range(0, 40).Select(i => 0.8f + 0.5f * MathF.Sin(i))];
float[] xs = new float[100], mask = new float[100];
points.CopyTo(xs, 0);
Array.Fill(mask, 1f, 0, points.Length);
var observed = new SimulationBatch(1).Set("x", xs, 1, 100).Set("observed", mask, 1, 100).Set("n", [points.Length], 1);

SimulationBatch draws = workflow.Sample(observed, numSamples: 2000, seed: 2);   // draws.Get("mu"): (1, 2000, 1)
double mean = draws.Get("mu").Average(v => (double)v);
double exact = points.Sum() / (points.Length + 1.0);                          // conjugate: sum x / (n + 1)
Console.WriteLine($"posterior mean of mu: {mean:F3} (exact {exact:F3}), after {history.Steps} steps");

var report = workflow.ComputeDiagnostics(numDatasets: 100, numSamples: 200, parameterKey: "mu");
Console.WriteLine(report);                                          // SBC, coverage, recovery, contraction, ...
PosteriorReport.Write("quickstart-report", new PosteriorReportContent { Title = "quick start", Diagnostics = report });
workflow.Save("model.amz");                                         // BasicWorkflow.Load reads it back
