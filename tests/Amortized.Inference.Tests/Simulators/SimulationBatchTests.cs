using Amortized.Inference.Simulators;
using Xunit;

namespace Amortized.Inference.Tests.Simulators;

public sealed class SimulationBatchTests
{
    [Fact]
    public void Set_WrongBatchAxis_ThrowsNamingKeyAndShapes()
    {
        var batch = new SimulationBatch(4);
        var e = Assert.Throws<ArgumentException>(() => batch.Set("x", new float[6], 3, 2));
        Assert.Contains("'x'", e.Message);
        Assert.Contains("(3, 2)", e.Message);
        Assert.Contains("4 rows", e.Message);
    }

    [Fact]
    public void Set_WrongLength_ThrowsNamingKeyExpectedAndActual()
    {
        var batch = new SimulationBatch(2);
        var e = Assert.Throws<ArgumentException>(() => batch.Set("theta", new float[5], 2, 3));
        Assert.Contains("'theta'", e.Message);
        Assert.Contains("6 elements", e.Message);
        Assert.Contains("5 values", e.Message);
    }

    [Fact]
    public void Get_MissingKey_ListsKeysPresent()
    {
        var batch = new SimulationBatch(1).Set("a", [1f], 1).Set("b", [2f], 1);
        var e = Assert.Throws<KeyNotFoundException>(() => batch.Get("c"));
        Assert.Contains("[a, b]", e.Message);
    }

    [Fact]
    public void SetIntegers_LargeCounts_KeptExact()
    {
        var batch = new SimulationBatch(3).SetIntegers("n", [16_777_216, -7, 123_456], 3);
        Assert.True(batch.IsInteger("n"));
        Assert.Equal(new[] { 16_777_216, -7, 123_456 }, batch.GetIntegers("n"));
        Assert.Throws<ArgumentException>(() => batch.SetIntegers("m", [16_777_217, 0, 0], 3));
    }

    [Fact]
    public void SelectRowsAndConcatenate_RoundTrip()
    {
        var batch = new SimulationBatch(3).Set("x", [0, 1, 2, 3, 4, 5], 3, 2);
        var a = batch.Slice(0, 1);
        var b = batch.SelectRows([1, 2]);
        var c = SimulationBatch.Concatenate([a, b]);
        Assert.Equal(batch.Get("x"), c.Get("x"));
        Assert.Equal(new[] { 3, 2 }, c.Shape("x").ToArray());
    }

    [Fact]
    public void Concatenate_RowShapeMismatch_NamesKeyAndShapes()
    {
        var a = new SimulationBatch(1).Set("x", [0, 1], 1, 2);
        var b = new SimulationBatch(1).Set("x", [0, 1, 2], 1, 3);
        var e = Assert.Throws<ArgumentException>(() => SimulationBatch.Concatenate([a, b]));
        Assert.Contains("'x'", e.Message);
        Assert.Contains("(3,)", e.Message);
        Assert.Contains("(2,)", e.Message);
    }
}
