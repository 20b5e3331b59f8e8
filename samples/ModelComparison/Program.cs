// Model comparison: are 30 counts Poisson, or overdispersed (negative binomial)? A classifier over the two models,
// trained on simulations of both, gives p(model | counts); its diagnostics are accuracy, confusion and calibration.
// Run: dotnet run -c Release [epochs]   (CI passes 2)
int epochs = args.Length > 0 ? int.Parse(args[0]) : 20;
const int n = 30;

// Both models write only the counts x, so the classifier sees nothing but data. Rate lambda ~ Gamma(4, 0.5), mean 8.
Simulator CountModel(Func<RowContext, float, IDiscreteDistribution> counts) => Simulator.Build().Likelihood(r =>
{
    var model = counts(r, r.Draw(new Gamma(4, 0.5)));
    r.Set("x", [.. Enumerable.Range(0, n).Select(_ => (float)r.Draw(model))]);
});
var poisson = CountModel((r, lambda) => new Poisson(lambda));
var negativeBinomial = CountModel((r, lambda) =>
    NegativeBinomial.FromMeanDispersion(lambda, r.Draw(new Gamma(2, 4))));   // dispersion alpha, mean 0.5
var simulator = new ModelComparisonSimulator([poisson, negativeBinomial]);

var adapter = new Adapter()
    .Log1p("x").AsSet("x")
    .Concatenate(["x"], into: Keys.SummaryVariables);

var workflow = new BasicWorkflow(adapter, new ModelComparisonSpec
{
    ModelNames = ["poisson", "negative binomial"],
    Summary = SummaryNetworkKind.DeepSet,
    DeepSet = new DeepSetOptions { SummaryDim = 8 },
    Seed = 1,
}, simulator);
workflow.FitOnline(new TrainingOptions { Epochs = epochs, BatchesPerEpoch = 100, Seed = 2 }.WithConsoleProgress());

// Counts with variance well above their mean (about 8 vs 30): clearly the overdispersed model.
float[] counts = [2, 15, 7, 0, 21, 4, 9, 1, 12, 3, 18, 6, 0, 10, 5, 25, 2, 8, 14, 1, 6, 11, 3, 19, 7, 0, 4, 13, 9, 2];
float[] probabilities = workflow.PredictModelProbabilities(SimulationBatch.From(("x", counts, [n])));
Console.WriteLine($"p(poisson | x) = {probabilities[0]:F3}, p(negative binomial | x) = {probabilities[1]:F3}");

var report = workflow.ComputeModelComparisonDiagnostics(numDatasets: 1000);
Console.WriteLine($"held-out accuracy {report.Accuracy:F3}, expected calibration error " +
    $"{report.Calibration[1].ExpectedCalibrationError:F3}");
Console.WriteLine($"report: {workflow.WriteReport("model-comparison-report")}");   // confusion, calibration curves
