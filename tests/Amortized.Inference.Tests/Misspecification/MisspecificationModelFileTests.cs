using Amortized.Inference.Adapters;
using Amortized.Inference.Approximators;
using Amortized.Inference.Serialization;
using Amortized.Inference.Simulators;
using Amortized.Inference.Tasks;
using Amortized.Networks.Flows;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Inference.Tests.Misspecification;

/// <summary>The misspecification reference in the model file, the summary space, and the reference's checks.</summary>
public sealed class MisspecificationModelFileTests : IDisposable
{
    private const string ReferenceTensor = "misspecification/reference_summaries";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-misspecification-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>TwoMoons-shaped (theta (B, 2) given x (B, 2)), untrained: the summary space is the standardised x.</summary>
    private static ContinuousApproximator Build(int conditionDim = 2)
    {
        var approximator = ContinuousApproximator.Build(new ApproximatorSpec
        {
            VariableDim = 2,
            ConditionDim = conditionDim,
            Seed = 1,
            CouplingFlow = new CouplingFlowOptions { Depth = 2, SubnetWidths = [8] },
        }, conditionDim == 0
            ? new Adapter().Concatenate(["theta"], Keys.InferenceVariables)
            : new Adapter().Concatenate(["theta"], Keys.InferenceVariables).Concatenate(["x"], Keys.InferenceConditions));
        // One forward pass fits the adapter's split sizes, which sampling needs to map draws back (training does this).
        var probe = new TwoMoons().Sample(4, seed: 0);
        if (conditionDim == 0) probe.Remove("x");
        approximator.Adapter.Forward(probe, strict: true);
        return approximator;
    }

    /// <summary>(count, 2) values with awkward bit patterns: subnormals, -0, the largest float, tiny and huge.</summary>
    private static float[] AwkwardValues(int count)
    {
        var values = new float[count * 2];
        new Rng(2).FillNormal(values);
        values[0] = float.Epsilon;
        values[1] = -0f;
        values[2] = float.MaxValue;
        values[3] = -1e-30f;
        values[4] = BitConverter.Int32BitsToSingle(0x007F_FFFF);   // largest subnormal
        return values;
    }

    [Fact]
    public void SaveLoad_WithReference_RoundTripsBitExactly()
    {
        var approximator = Build();
        var values = AwkwardValues(50);
        approximator.SetMisspecificationReference(values, 50, 2);
        string path = PathOf("model.amz");
        ApproximatorFile.Save(path, approximator);
        var loaded = ApproximatorFile.Load(path).MisspecificationReference;
        Assert.NotNull(loaded);
        Assert.Equal(50, loaded.Count);
        Assert.Equal(2, loaded.Dim);
        Assert.Equal(Array.ConvertAll(values, BitConverter.SingleToInt32Bits), Array.ConvertAll(loaded.ToArray(), BitConverter.SingleToInt32Bits));
        Assert.Equal([50, 2], ModelFile.Read(path).Tensors[ReferenceTensor].Shape);
    }

    [Fact]
    public void Load_FileWithoutReference_LoadsWithNoReferenceAndSameWeights()
    {
        // An "old" file: the layout written before the reference existed, i.e. the same file minus that tensor.
        var approximator = Build();
        approximator.SetMisspecificationReference(AwkwardValues(10), 10, 2);
        string path = PathOf("new.amz"), old = PathOf("old.amz");
        ApproximatorFile.Save(path, approximator);
        var contents = ModelFile.Read(path);
        var tensors = new Dictionary<string, TensorEntry>(contents.Tensors);
        Assert.True(tensors.Remove(ReferenceTensor));
        ModelFile.Write(old, contents.ManifestJson, tensors);

        var loaded = ApproximatorFile.Load(old);
        Assert.Null(loaded.MisspecificationReference);
        Assert.Equal(approximator.Store.Values.ToArray(), loaded.Store.Values.ToArray());
        var observed = new SimulationBatch(1).Set("x", [0.1f, -0.2f], 1, 2);
        var checkedSamples = loaded.SampleWithCheck(observed, 20, seed: 3);
        Assert.False(checkedSamples.MisspecificationChecked);
        Assert.Null(checkedSamples.Misspecification);
        Assert.Null(checkedSamples.Warning);
        Assert.Equal(loaded.Sample(observed, 20, seed: 3).Get("theta"), checkedSamples.Draws.Get("theta"));

        // Saving without a reference writes no reference tensor at all.
        approximator.ClearMisspecificationReference();
        ApproximatorFile.Save(path, approximator);
        Assert.DoesNotContain(ModelFile.Read(path).Tensors.Keys, k => k.StartsWith("misspecification/", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_ReferenceOfWrongWidth_ThrowsInvalidDataNamingFileAndDims()
    {
        var approximator = Build();
        string path = PathOf("model.amz");
        ApproximatorFile.Save(path, approximator);
        var contents = ModelFile.Read(path);
        var tensors = new Dictionary<string, TensorEntry>(contents.Tensors)
        {
            [ReferenceTensor] = TensorEntry.Float32(new float[30], 10, 3),
        };
        ModelFile.Write(path, contents.ManifestJson, tensors);
        var ex = Assert.Throws<InvalidDataException>(() => ApproximatorFile.Load(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("dim 3", ex.Message);
        Assert.Contains("2 features", ex.Message);
    }

    [Fact]
    public void SummarySpace_NoSummaryNetwork_IsTheStandardisedConditions()
    {
        var approximator = Build();
        var stats = approximator.ConditionStandardizer!;
        stats.Update([1f, 10f, 3f, 14f, 5f, 18f]);   // x means (3, 14), sds (2, 4)
        var data = new SimulationBatch(2).Set("x", [3f, 14f, 7f, 6f], 2, 2);
        var summaries = approximator.SummarySpace(data, out int dim);
        Assert.Equal(2, dim);
        Assert.Equal(2, approximator.SummarySpaceDim);
        Assert.Equal([0f, 0f, 2f, -2f], summaries);
    }

    [Fact]
    public void SetReference_WrongDimOrTooFewOrNaN_ThrowsNamingArgument()
    {
        var approximator = Build();
        var ex = Assert.Throws<ArgumentException>(() => approximator.SetMisspecificationReference(new float[30], 10, 3));
        Assert.Equal("dim", ex.ParamName);
        Assert.Contains("dim 3", ex.Message);
        Assert.Contains("2 features", ex.Message);
        var few = Assert.Throws<ArgumentOutOfRangeException>(() => approximator.SetMisspecificationReference(new float[2], 1, 2));
        Assert.Equal("count", few.ParamName);
        var values = new float[20];
        values[7] = float.NegativeInfinity;
        ex = Assert.Throws<ArgumentException>(() => approximator.SetMisspecificationReference(values, 10, 2));
        Assert.Equal("summaries", ex.ParamName);
        Assert.Contains("row 3, feature 1", ex.Message);
        Assert.Null(approximator.MisspecificationReference);
    }

    [Fact]
    public void TestMisspecification_NoReference_ThrowsSayingHowToMakeOne()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Build().TestMisspecification(new SimulationBatch(1).Set("x", [0f, 0f], 1, 2)));
        Assert.Contains("ComputeMisspecificationReference", ex.Message);
    }

    [Fact]
    public void SampleWithCheck_NaNObservationOrBadAlpha_ThrowsNamingArgument()
    {
        var approximator = Build();
        approximator.SetMisspecificationReference(new TwoMoons().Sample(20, seed: 1).Get("x"), 20, 2);
        var ex = Assert.Throws<ArgumentException>(() => approximator.SampleWithCheck(new SimulationBatch(2).Set("x", [0f, 0f, float.NaN, 0f], 2, 2), 10, 1));
        Assert.Equal("observations", ex.ParamName);
        Assert.Contains("data set 1", ex.Message);
        var alpha = Assert.Throws<ArgumentOutOfRangeException>(() => approximator.SampleWithCheck(new SimulationBatch(1).Set("x", [0f, 0f], 1, 2), 10, 1, alpha: 1.5));
        Assert.Equal("alpha", alpha.ParamName);
    }

    [Fact]
    public void SummarySpace_UnconditionalNetwork_ThrowsAndChecksNothing()
    {
        var approximator = Build(conditionDim: 0);
        Assert.Equal(0, approximator.SummarySpaceDim);
        Assert.Throws<InvalidOperationException>(() => approximator.SummarySpace(new SimulationBatch(1), out _));
        var result = approximator.SampleWithCheck(new SimulationBatch(1), 5, seed: 1);
        Assert.False(result.MisspecificationChecked);
    }
}
