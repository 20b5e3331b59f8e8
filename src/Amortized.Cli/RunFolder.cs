using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;

namespace Amortized.Cli;

/// <summary>
/// The files of a run folder written by <c>fit</c>. A folder is one unit: writers hold its lock
/// (<see cref="RunFolderWriter"/>), stage their files and commit them together, so readers see the previous complete
/// run or the new one, never a mix.
/// </summary>
internal sealed class RunFolder(string path)
{
    /// <summary>The files of a run, by name in the folder (figures is a folder).</summary>
    public const string ModelName = "model.amz", RunName = "run.json", ReportName = "report.html",
        MetricsName = "metrics.json", HistoryName = "history.csv", CheckpointName = "checkpoint.amzc",
        HeldOutName = "heldout.npz", FiguresName = "figures";

    /// <summary>
    /// Everything <c>fit</c> commits: the files of the previous run that the new one does not write are removed with
    /// the same commit (the checkpoint is the resume state of the run in progress, written after every epoch).
    /// </summary>
    public static readonly string[] FitFiles =
        [ModelName, RunName, HistoryName, HeldOutName, MetricsName, ReportName, FiguresName];

    /// <summary>What <c>diagnose</c> commits.</summary>
    public static readonly string[] ReportFiles = [MetricsName, ReportName, FiguresName];

    public string Path { get; } = System.IO.Path.GetFullPath(path);
    public string Model => Combine(ModelName);
    public string Run => Combine(RunName);
    public string Report => Combine(ReportName);
    public string Metrics => Combine(MetricsName);
    public string History => Combine(HistoryName);
    public string Checkpoint => Combine(CheckpointName);
    public string HeldOut => Combine(HeldOutName);
    public string Figures => Combine(FiguresName);

    private string Combine(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Opens an existing run folder, with a clear error when it is missing or incomplete.</summary>
    public static RunFolder Open(string path)
    {
        if (File.Exists(path)) throw new UsageException($"model folder '{path}' is a file; expected the folder " +
            "written by 'amortized fit'.");
        if (!Directory.Exists(path)) throw new UsageException($"model folder '{path}' does not exist.");
        var folder = new RunFolder(path);
        RunFolderWriter.FinishInterruptedCommit(folder);
        if (!File.Exists(folder.Model)) throw new UsageException(
            $"model folder '{path}' has no model.amz; is it a folder written by 'amortized fit'?");
        if (!File.Exists(folder.Run)) throw new UsageException(
            $"model folder '{path}' has no run.json; is it a folder written by 'amortized fit'?");
        return folder;
    }

    /// <summary>
    /// Opens a run folder and reads its run description and model together (no commit can switch them in between),
    /// then checks that they describe the same model (<see cref="RunInfo.CheckAgainst"/>).
    /// </summary>
    /// <param name="path">The run folder.</param>
    /// <param name="key">The key the model must be signed with (null: any model, signed or not).</param>
    /// <exception cref="UsageException">The run is a point or model-comparison run, which has no density.</exception>
    public static (RunFolder Folder, RunInfo Run, ContinuousApproximator Model) Load(string path, ModelFileKey? key)
    {
        var (folder, run, model) = LoadAny(path, key);
        return model is ContinuousApproximator continuous ? (folder, run, continuous)
            : throw new UsageException($"model folder '{path}' holds a {run.Method} model ('fit --method " +
                $"{run.Method}'), which has no posterior density to sample or evaluate; use 'amortized sample' for its " +
                $"{(run.MethodKind == FitMethod.Point ? "point estimates" : "model probabilities")} and " +
                "'amortized diagnose' for its checks.");
    }

    /// <summary>
    /// <see cref="Load"/> for a run of any method: the model is a <see cref="ContinuousApproximator"/>,
    /// <see cref="PointApproximator"/> or <see cref="ModelComparisonApproximator"/> as run.json's method says.
    /// </summary>
    public static (RunFolder Folder, RunInfo Run, Approximator Model) LoadAny(string path, ModelFileKey? key)
    {
        var folder = Open(path);
        using (RunFolderWriter.ReadLock(folder))
        {
            var run = RunInfo.Load(folder.Run);
            run.CheckFormat(folder.Run);
            var model = ApproximatorFile.LoadAny(folder.Model, out var metadata, key);
            run.CheckAgainst(folder.Run, model, metadata);
            return (folder, run, model);
        }
    }
}
