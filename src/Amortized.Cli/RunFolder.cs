namespace Amortized.Cli;

/// <summary>The files of a run folder written by <c>fit</c>.</summary>
internal sealed class RunFolder(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);
    public string Model => Combine("model.amz");
    public string Run => Combine("run.json");
    public string Report => Combine("report.html");
    public string Metrics => Combine("metrics.json");
    public string History => Combine("history.csv");
    public string Checkpoint => Combine("checkpoint.amzc");
    public string HeldOut => Combine("heldout.npz");
    public string Figures => Combine("figures");

    private string Combine(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Opens an existing run folder, with a clear error when it is missing or incomplete.</summary>
    public static RunFolder Open(string path)
    {
        if (!Directory.Exists(path)) throw new UsageException($"model folder '{path}' does not exist.");
        var folder = new RunFolder(path);
        if (!File.Exists(folder.Model)) throw new UsageException(
            $"model folder '{path}' has no model.amz; is it a folder written by 'amortized fit'?");
        if (!File.Exists(folder.Run)) throw new UsageException(
            $"model folder '{path}' has no run.json; is it a folder written by 'amortized fit'?");
        return folder;
    }
}
