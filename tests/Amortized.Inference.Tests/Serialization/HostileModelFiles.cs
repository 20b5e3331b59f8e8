using System.Text.Json.Nodes;
using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Networks.Flows;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>
/// A small valid approximator file (TwoMoons-shaped: theta (2) given x (2), a coupling flow of depth 2 with one
/// hidden layer of 8) and the ways a hostile user edits it: the spec changed and the checksum recomputed.
/// </summary>
internal static class HostileModelFiles
{
    /// <summary>The untrained approximator, with the adapter's split sizes fitted so it can sample.</summary>
    public static ContinuousApproximator Small()
    {
        var approximator = ContinuousApproximator.Build(new ApproximatorSpec
        {
            VariableDim = 2,
            ConditionDim = 2,
            Seed = 1,
            CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [8] },
        }, new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));
        approximator.Adapter.Forward(new TwoMoons().Sample(4, seed: 0), strict: true);
        return approximator;
    }

    /// <summary>The bytes of <see cref="Small"/> saved (signed with <paramref name="key"/> when given).</summary>
    public static byte[] SmallBytes(ModelFileKey? key = null)
    {
        string path = Path.Combine(Path.GetTempPath(), $"amortized-hostile-{Guid.NewGuid():N}.amz");
        try
        {
            ApproximatorFile.Save(path, Small(), key: key);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The file with its manifest's spec edited and the checksum recomputed.</summary>
    public static byte[] ResealSpec(byte[] file, Action<JsonObject> editSpec) =>
        ModelFileTestFiles.ResealManifest(file, manifest => editSpec((JsonObject)manifest["spec"]!));

    /// <summary>The spec's coupling-flow options (the object under spec.coupling_flow).</summary>
    public static JsonObject Flow(JsonObject spec) => (JsonObject)spec["coupling_flow"]!;

    /// <summary>
    /// Runs <paramref name="load"/> on the file, expecting <see cref="InvalidDataException"/>, and returns it with the
    /// bytes the current thread allocated meanwhile (loading runs on the calling thread).
    /// </summary>
    public static (InvalidDataException Error, long Allocated) Refused(Action load)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Xunit.Assert.Throws<InvalidDataException>(load);
        return (e, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
