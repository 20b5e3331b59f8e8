using Amortized.Testing;
using Xunit;
using Xunit.Sdk;

namespace Amortized.Tensors.Tests.Autodiff;

/// <summary>
/// The checker itself: it passes a correct backward with a wide margin and fails deliberately wrong ones, so
/// its float32 tolerances are shown to be tight enough to mean something.
/// </summary>
public class GradCheckTests
{
    private static Tensor Input(ulong seed = TestSeeds.Default) => TestTensors.SignedUniform(new Rng(seed), 0.5f, 2f, 4, 5);

    [Fact]
    public void Check_CorrectCustomBackward_PassesWithWideMargin()
    {
        var result = GradCheck.Check(t => SquareWithScaledBackwardOp.Forward(t[0], 1f), [Input()]);

        Assert.True(result.Passed, result.Report);
        // The noise floor of the float32 differences is far below the tolerance.
        Assert.True(result.WorstRatio < 0.1, result.Report);
    }

    [Theory]
    [InlineData(1.05f)]
    [InlineData(0.95f)]
    [InlineData(1.02f)]
    [InlineData(0.98f)]
    public void Check_BackwardScaledByFewPercent_Fails(float scale)
    {
        var result = GradCheck.Check(t => SquareWithScaledBackwardOp.Forward(t[0], scale), [Input()]);

        Assert.False(result.Passed, result.Report);
        Assert.Contains("analytic", result.Report, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_BackwardWrongInOneElement_FailsNamingThatElement()
    {
        var x = Tensor.FromArray([0.5f, -1.5f, 1.25f, 2f, -0.75f, 1f], 2, 3);

        var result = GradCheck.Check(t => SquareWithScaledBackwardOp.Forward(t[0], 1.05f, wrongIndex: 3), [x]);

        Assert.False(result.Passed, result.Report);
        Assert.Contains("1 of 6 gradient elements differ", result.Report, StringComparison.Ordinal);
        Assert.Contains("at [1, 0]", result.Report, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_BroadcastBackwardMissingSum_FailsOnSecondInputOnly()
    {
        var rng = new Rng(TestSeeds.Default);
        var a = TestTensors.Uniform(rng, -1f, 1f, 3, 4);
        var b = TestTensors.Uniform(rng, -1f, 1f, 4);

        var result = GradCheck.Check(t => RowBroadcastAddMissingSumOp.Forward(t[0], t[1]), [a, b]);

        Assert.False(result.Passed, result.Report);
        Assert.Contains("input 1", result.Report, StringComparison.Ordinal);
        Assert.DoesNotContain("input 0", result.Report, StringComparison.Ordinal);
    }

    [Fact]
    public void Assert_WrongBackward_ThrowsWithReport()
    {
        var ex = Assert.Throws<XunitException>(() =>
            GradCheck.Assert("square x1.05", t => SquareWithScaledBackwardOp.Forward(t[0], 1.05f), Input()));

        Assert.Contains("GradCheck square x1.05", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(4, 5)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_InputNotUsed_GradientIsZeroAndPasses()
    {
        var rng = new Rng(TestSeeds.Default);
        var a = TestTensors.Uniform(rng, -1f, 1f, 2, 3);
        var unused = TestTensors.Uniform(rng, -1f, 1f, 3);

        var result = GradCheck.Check(t => t[0].Exp(), [a, unused]);

        Assert.True(result.Passed, result.Report);
        Assert.All(unused.Grad?.ToArray() ?? [], g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Check_AfterRun_InputsRestoredAndRequiresGradUnchanged()
    {
        var x = Input();
        float[] before = x.ToArray();

        GradCheck.Check(t => t[0].Tanh(), [x]);

        Assert.Equal(before, x.ToArray());
        Assert.False(x.RequiresGrad);
    }

    [Fact]
    public void AssertClose_WithinTolerance_DoesNotThrow()
    {
        NumericAssert.AssertClose([1.0, 2.0, 3.0], [1.000001f, 2f, 2.999999f], 1e-5, 0, "near");
    }

    [Fact]
    public void AssertClose_Mismatch_MessageGivesIndexValuesAndMaxDifference()
    {
        var ex = Assert.Throws<XunitException>(() =>
            NumericAssert.AssertClose([1.0, 2.0, 3.0, 4.0], [1f, 2.5f, 3f, 4.01f], 1e-3, 0, "values", new Shape(2, 2)));

        Assert.Contains("values: 2 of 4 elements", ex.Message, StringComparison.Ordinal);
        Assert.Contains("max |diff| 0.5 at [0, 1]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[1, 1]: expected 4, actual 4.01", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AssertClose_NaNWhereNumberExpected_Throws()
    {
        Assert.Throws<XunitException>(() => NumericAssert.AssertClose([1.0], [float.NaN], 1, 1, "nan"));
    }

    [Fact]
    public void NumericalJacobian_Float32Function_MatchesAnalyticJacobian()
    {
        // f(x) = (x0 x1, sin x0, exp x1): J = [[x1, x0], [cos x0, 0], [0, exp x1]].
        float[] x = [0.7f, -0.4f];
        var j = FiniteDifferences.NumericalJacobian(
            v => [v[0] * v[1], MathF.Sin(v[0]), MathF.Exp(v[1])], x);

        double[] expected = [x[1], x[0], Math.Cos(x[0]), 0, 0, Math.Exp(x[1])];
        NumericAssert.AssertClose(expected, Flatten(j), 1e-4, 1e-3, "float32 Jacobian");
    }

    [Fact]
    public void NumericalJacobian_DoubleFunction_MatchesAnalyticJacobianTightly()
    {
        double[] x = [0.7, -0.4];
        var j = FiniteDifferences.NumericalJacobian(
            v => [v[0] * v[1], Math.Sin(v[0]), Math.Exp(v[1])], x);

        double[] expected = [x[1], x[0], Math.Cos(x[0]), 0, 0, Math.Exp(x[1])];
        NumericAssert.AssertClose(expected, Flatten(j), 1e-9, 1e-8, "double Jacobian");
    }

    [Theory]
    [InlineData(new double[] { 2, 1, 1, 3 }, 1.6094379124341003)]       // det 5
    [InlineData(new double[] { 0, 1, 1, 0 }, 0.0)]                      // det -1: a row swap
    [InlineData(new double[] { 1, 2, 2, 4 }, double.NegativeInfinity)]  // singular
    public void LogAbsDeterminant_TwoByTwo_MatchesClosedForm(double[] entries, double expected)
    {
        var m = new double[2, 2] { { entries[0], entries[1] }, { entries[2], entries[3] } };

        Assert.Equal(expected, FiniteDifferences.LogAbsDeterminant(m), 12);
    }

    private static double[] Flatten(double[,] m)
    {
        var result = new double[m.Length];
        int i = 0;
        foreach (double v in m) result[i++] = v;
        return result;
    }
}
