using Amortized.Networks.Numerics;
using Xunit;

namespace Amortized.Networks.Tests.Numerics;

public sealed class DormandPrinceTests
{
    private static readonly OdeOptions s_tight = new() { RelativeTolerance = 1e-10, AbsoluteTolerance = 1e-12 };

    [Fact]
    public void Solve_ExponentialDecay_DenseOutputMatchesClosedForm()
    {
        OdeSolution s = DormandPrince.Solve((t, y, dy) => dy[0] = -0.7 * y[0], 0, 5, [2.0], s_tight);
        for (double t = 0; t <= 5; t += 0.137)
            Assert.Equal(2 * Math.Exp(-0.7 * t), s.Evaluate(t)[0], 1e-8);
        Assert.Equal(2 * Math.Exp(-3.5), s.Evaluate(5)[0], 1e-9);
    }

    [Fact]
    public void Solve_HarmonicOscillator_MatchesSinCos()
    {
        // y0' = y1, y1' = -y0 with y(0) = (0, 1): y = (sin t, cos t).
        OdeSolution s = DormandPrince.Solve((t, y, dy) => { dy[0] = y[1]; dy[1] = -y[0]; }, 0, 20, [0.0, 1.0], s_tight);
        for (double t = 0; t <= 20; t += 0.31)
        {
            double[] y = s.Evaluate(t);
            Assert.Equal(Math.Sin(t), y[0], 1e-7);
            Assert.Equal(Math.Cos(t), y[1], 1e-7);
        }
    }

    [Fact]
    public void SolveAt_Logistic_MatchesClosedForm()
    {
        double[] times = [0, 0.5, 1, 2, 4, 8];
        var values = new double[times.Length];
        DormandPrince.SolveAt((t, y, dy) => dy[0] = y[0] * (1 - y[0]), 0, [0.1], times, values, s_tight);
        for (int i = 0; i < times.Length; i++)
        {
            double e = Math.Exp(times[i]), exact = 0.1 * e / (1 - 0.1 + 0.1 * e);
            Assert.Equal(exact, values[i], 1e-9);
        }
    }

    [Fact]
    public void Solve_FixedStepHalved_ErrorShrinksAsFifthOrder()
    {
        // Loose tolerances and MaxStep = h force fixed steps h; halving h should cut the error by ~2^5.
        static double ErrorWithStep(double h)
        {
            var o = new OdeOptions { RelativeTolerance = 1e6, AbsoluteTolerance = 1e6, InitialStep = h, MaxStep = h };
            OdeSolution s = DormandPrince.Solve((t, y, dy) => { dy[0] = y[1]; dy[1] = -y[0]; }, 0, 4, [0.0, 1.0], o);
            return Math.Abs(s.Evaluate(4)[0] - Math.Sin(4));
        }
        // Measured ratios approach 32 as h shrinks: 0.2 -> 0.1 gives ~25, 0.1 -> 0.05 gives ~29.
        double e2 = ErrorWithStep(0.2), e3 = ErrorWithStep(0.1), e4 = ErrorWithStep(0.05);
        Assert.InRange(e2 / e3, 20, 40);
        Assert.InRange(e3 / e4, 24, 40);
    }

    [Fact]
    public void Solve_TolerancesTightened_AgreesWithLooserRun()
    {
        static double[] Run(double tol) =>
            DormandPrince.Solve((t, y, dy) => { dy[0] = y[0] - 0.1 * y[0] * y[1]; dy[1] = -y[1] + 0.02 * y[0] * y[1]; },
                0, 15, [30.0, 4.0], new OdeOptions { RelativeTolerance = tol, AbsoluteTolerance = tol }).Evaluate(15);
        double[] loose = Run(1e-6), tight = Run(1e-11);
        for (int i = 0; i < 2; i++) Assert.Equal(tight[i], loose[i], 1e-3 * Math.Abs(tight[i]));
    }

    [Fact]
    public void SolveAt_DestinationWrongSize_ThrowsWithSizes()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            DormandPrince.SolveAt((t, y, dy) => dy[0] = 0, 0, [1.0], [1.0, 2.0], new double[3]));
        Assert.Contains("3", e.Message);
        Assert.Contains("2", e.Message);
    }
}
