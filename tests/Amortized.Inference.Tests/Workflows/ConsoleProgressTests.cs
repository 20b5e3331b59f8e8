using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Simulators;
using Amortized.Inference.Workflows;
using Amortized.Networks.Flows;
using Xunit;

namespace Amortized.Inference.Tests.Workflows;

public class ConsoleProgressTests
{
    private static BasicWorkflow Workflow()
    {
        var simulator = Simulator.Build().Prior(r => r.Set("mu", [r.Normal(0, 1)]))
            .Likelihood(r => r.Set("x", [r.Normal(r.Get("mu"), 1)]));
        var adapter = new Adapter().Concatenate(["mu"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions);
        return new BasicWorkflow(adapter,
            new ApproximatorSpec { CouplingFlow = new CouplingFlowOptions { Depth = 1, SubnetWidths = [8] } }, simulator);
    }

    private static readonly TrainingOptions s_options =
        new() { Epochs = 3, BatchesPerEpoch = 4, BatchSize = 16, ValidationSimulations = 32, Seed = 1 };

    [Fact]
    public void Redirected_WritesOneLinePerEpoch_WithTheValidationLoss()
    {
        var text = new StringWriter();
        var workflow = Workflow();
        var history = workflow.FitOnline(s_options.WithConsoleProgress(text));
        string[] lines = text.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.DoesNotContain('\r', text.ToString());
        for (int e = 0; e < 3; e++)
        {
            Assert.StartsWith($"epoch {e + 1}/3  loss {history.Epochs[e].TrainLoss:F4}  lr ", lines[e]);
            Assert.EndsWith($"  val {history.Epochs[e].ValidationLoss:F4}", lines[e]);
            Assert.Contains(" steps/s  ETA ", lines[e]);
        }
        Assert.Contains("ETA 0:00", lines[2]);   // nothing left after the last epoch
    }

    [Fact]
    public void Terminal_RewritesOneLine_AndKeepsTheEpochLines()
    {
        var text = new StringWriter();
        var progress = new ConsoleProgress(text, interactive: true) { RefreshInterval = TimeSpan.Zero };
        Workflow().FitOnline(progress.AttachTo(s_options));
        string output = text.ToString();
        // Live updates carry the batch; each epoch ends with a line of its own.
        Assert.Contains("\repoch 1/3  batch 2/4  loss ", output);
        string[] lines = output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.Contains("  val ", l[(l.LastIndexOf('\r') + 1)..]));
    }

    [Fact]
    public void WithoutTheHook_TheEpochLineComesAtItsLastBatch()
    {
        var text = new StringWriter();
        Workflow().FitOnline(s_options with { Progress = new ConsoleProgress(text, epochs: 3) });
        string[] lines = text.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.DoesNotContain("val", l));
        Assert.Equal("1:02:03", ConsoleProgress.Duration(new TimeSpan(1, 2, 3)));
        Assert.Equal("2:03", ConsoleProgress.Duration(new TimeSpan(0, 2, 3)));
    }
}
