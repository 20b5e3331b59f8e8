namespace Amortized.Networks.Numerics;

/// <summary>
/// Adaptive explicit Runge-Kutta 5(4) of Dormand and Prince with its 4th-order continuous extension (dense
/// output), in double precision. Error control: the embedded 4th-order solution, a scaled RMS norm, step factor
/// 0.9 err^(-1/5) clamped to [0.2, 10].
/// </summary>
/// <remarks>
/// J. R. Dormand and P. J. Prince, "A family of embedded Runge-Kutta formulae", J. Comp. Appl. Math. 6 (1980);
/// coefficients and dense output as in E. Hairer, S. P. Norsett and G. Wanner, "Solving Ordinary Differential
/// Equations I", 2nd ed., Springer 1993, section II.5 and II.6 (the DOPRI5 code's CONTD5).
/// </remarks>
public static class DormandPrince
{
    private const double C2 = 1.0 / 5, C3 = 3.0 / 10, C4 = 4.0 / 5, C5 = 8.0 / 9;
    private const double A21 = 1.0 / 5;
    private const double A31 = 3.0 / 40, A32 = 9.0 / 40;
    private const double A41 = 44.0 / 45, A42 = -56.0 / 15, A43 = 32.0 / 9;
    private const double A51 = 19372.0 / 6561, A52 = -25360.0 / 2187, A53 = 64448.0 / 6561, A54 = -212.0 / 729;
    private const double A61 = 9017.0 / 3168, A62 = -355.0 / 33, A63 = 46732.0 / 5247,
        A64 = 49.0 / 176, A65 = -5103.0 / 18656;
    private const double A71 = 35.0 / 384, A73 = 500.0 / 1113, A74 = 125.0 / 192, A75 = -2187.0 / 6784, A76 = 11.0 / 84;
    // e = b(5th order) - b(4th order, embedded).
    private const double E1 = 71.0 / 57600, E3 = -71.0 / 16695, E4 = 71.0 / 1920,
        E5 = -17253.0 / 339200, E6 = 22.0 / 525, E7 = -1.0 / 40;
    // Dense output weights (CONTD5).
    private const double D1 = -12715105075.0 / 11282082432, D3 = 87487479700.0 / 32700410799,
        D4 = -10690763975.0 / 1880347072,
        D5 = 701980252875.0 / 199316789632, D6 = -1453857185.0 / 822651844, D7 = 69997945.0 / 29380423;

    /// <summary>
    /// Integrates from <paramref name="t0"/> to <paramref name="t1"/> (t1 &gt; t0) and keeps every step's dense
    /// output, so the solution can be evaluated anywhere in [t0, t1].
    /// </summary>
    public static OdeSolution Solve(OdeFunction f, double t0, double t1,
        ReadOnlySpan<double> y0, OdeOptions? options = null)
    {
        var solution = new OdeSolution(t0, y0.Length);
        solution.Rejected = Integrate(f, t0, t1, y0, options ?? new OdeOptions(), solution.AddStep);
        return solution;
    }

    /// <summary>
    /// Values at the ascending <paramref name="times"/> (all in [t0, last time]), written row by row into
    /// <paramref name="destination"/> of shape (T, D), without storing the whole trajectory.
    /// </summary>
    public static void SolveAt(OdeFunction f, double t0, ReadOnlySpan<double> y0, ReadOnlySpan<double> times,
        Span<double> destination, OdeOptions? options = null)
    {
        int d = y0.Length;
        if (destination.Length != times.Length * d)
            throw new ArgumentException($"SolveAt: destination has {destination.Length} values; expected times " +
                $"({times.Length}) x dimension ({d}) = {times.Length * d}.", nameof(destination));
        for (int i = 0; i < times.Length; i++)
        {
            if (times[i] < t0 || (i > 0 && times[i] < times[i - 1]))
                throw new ArgumentException(
                    $"SolveAt: times must be ascending and >= t0 = {t0}; times[{i}] is {times[i]}.", nameof(times));
        }
        double[] ts = times.ToArray();
        double[] dest = new double[destination.Length];
        int next = 0;
        while (next < ts.Length && ts[next] == t0)
        {
            y0.CopyTo(dest.AsSpan(next * d, d));
            next++;
        }
        if (next < ts.Length)
        {
            Integrate(f, t0, ts[^1], y0, options ?? new OdeOptions(), (tOld, h, rcont) =>
            {
                while (next < ts.Length && ts[next] <= tOld + h)
                {
                    Interpolate(rcont, d, (ts[next] - tOld) / h, dest.AsSpan(next * d, d));
                    next++;
                }
            });
        }
        dest.CopyTo(destination);
    }

    /// <summary>y(t_old + theta h) from one step's dense-output coefficients rcont (5 x D).</summary>
    internal static void Interpolate(ReadOnlySpan<double> rcont, int d, double theta, Span<double> y)
    {
        double theta1 = 1 - theta;
        for (int i = 0; i < d; i++)
            y[i] = rcont[i] + theta * (rcont[d + i] + theta1 * (rcont[2 * d + i]
                + theta * (rcont[3 * d + i] + theta1 * rcont[4 * d + i])));
    }

    /// <summary>
    /// Runs the integrator; <paramref name="onStep"/> gets (t_old, h, rcont) after each accepted step.
    /// Returns rejected steps.
    /// </summary>
    private static int Integrate(OdeFunction f, double t0, double t1, ReadOnlySpan<double> y0, OdeOptions o,
        Action<double, double, double[]> onStep)
    {
        if (!(t1 > t0))
            throw new ArgumentException($"DormandPrince: t1 ({t1}) must be greater than t0 ({t0}).", nameof(t1));
        int d = y0.Length;
        double[] y = y0.ToArray(), yNew = new double[d], yStage = new double[d];
        double[] k1 = new double[d], k2 = new double[d], k3 = new double[d], k4 = new double[d],
            k5 = new double[d], k6 = new double[d], k7 = new double[d];
        double[] rcont = new double[5 * d];
        double t = t0;
        f(t, y, k1);
        double h = o.InitialStep > 0 ? o.InitialStep : InitialStep(f, t0, y, k1, o);
        h = Math.Min(h, Math.Min(o.MaxStep, t1 - t0));
        int rejected = 0;
        for (int step = 0; ; step++)
        {
            if (step >= o.MaxSteps)
                throw new InvalidOperationException(
                    $"DormandPrince: {o.MaxSteps} steps were not enough to reach t1 = {t1} (at t = {t}, h = {h}).");
            bool last = t + h >= t1 || t1 - (t + h) < 1e-12 * Math.Abs(t1);
            if (last) h = t1 - t;

            for (int i = 0; i < d; i++) yStage[i] = y[i] + h * A21 * k1[i];
            f(t + C2 * h, yStage, k2);
            for (int i = 0; i < d; i++) yStage[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i]);
            f(t + C3 * h, yStage, k3);
            for (int i = 0; i < d; i++) yStage[i] = y[i] + h * (A41 * k1[i] + A42 * k2[i] + A43 * k3[i]);
            f(t + C4 * h, yStage, k4);
            for (int i = 0; i < d; i++) yStage[i] = y[i] + h * (A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]);
            f(t + C5 * h, yStage, k5);
            for (int i = 0; i < d; i++)
                yStage[i] = y[i] + h * (A61 * k1[i] + A62 * k2[i] + A63 * k3[i] + A64 * k4[i] + A65 * k5[i]);
            f(t + h, yStage, k6);
            for (int i = 0; i < d; i++)
                yNew[i] = y[i] + h * (A71 * k1[i] + A73 * k3[i] + A74 * k4[i] + A75 * k5[i] + A76 * k6[i]);
            f(t + h, yNew, k7); // FSAL: k7 is k1 of the next step

            double err = 0;
            for (int i = 0; i < d; i++)
            {
                double sc = o.AbsoluteTolerance + o.RelativeTolerance * Math.Max(Math.Abs(y[i]), Math.Abs(yNew[i]));
                double e = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]) / sc;
                err += e * e;
            }
            err = Math.Sqrt(err / Math.Max(d, 1));
            if (double.IsNaN(err))
                throw new InvalidOperationException($"DormandPrince: the solution became NaN at t = {t} (h = {h}).");

            double factor = err == 0 ? 10 : Math.Clamp(0.9 * Math.Pow(err, -0.2), 0.2, 10);
            if (err <= 1)
            {
                for (int i = 0; i < d; i++)
                {
                    double dy = yNew[i] - y[i], bspl = h * k1[i] - dy;
                    rcont[i] = y[i];
                    rcont[d + i] = dy;
                    rcont[2 * d + i] = bspl;
                    rcont[3 * d + i] = dy - h * k7[i] - bspl;
                    rcont[4 * d + i] =
                        h * (D1 * k1[i] + D3 * k3[i] + D4 * k4[i] + D5 * k5[i] + D6 * k6[i] + D7 * k7[i]);
                }
                onStep(t, h, rcont);
                t = last ? t1 : t + h;
                (y, yNew) = (yNew, y);
                (k1, k7) = (k7, k1);
                if (last) return rejected;
                h = Math.Min(h * factor, o.MaxStep);
            }
            else
            {
                rejected++;
                h *= Math.Min(1, factor);
            }
            if (h < 1e-14 * Math.Max(1, Math.Abs(t)))
                throw new InvalidOperationException(
                    $"DormandPrince: step size underflow at t = {t} (h = {h}); the problem may be stiff.");
        }
    }

    private static double InitialStep(OdeFunction f, double t0, double[] y0, double[] f0, OdeOptions o)
    {
        int d = y0.Length;
        double d0 = 0, d1 = 0;
        for (int i = 0; i < d; i++)
        {
            double sc = o.AbsoluteTolerance + o.RelativeTolerance * Math.Abs(y0[i]);
            d0 += (y0[i] / sc) * (y0[i] / sc);
            d1 += (f0[i] / sc) * (f0[i] / sc);
        }
        d0 = Math.Sqrt(d0 / d);
        d1 = Math.Sqrt(d1 / d);
        double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
        var y1 = new double[d];
        var f1 = new double[d];
        for (int i = 0; i < d; i++) y1[i] = y0[i] + h0 * f0[i];
        f(t0 + h0, y1, f1);
        double d2 = 0;
        for (int i = 0; i < d; i++)
        {
            double sc = o.AbsoluteTolerance + o.RelativeTolerance * Math.Abs(y0[i]);
            double v = (f1[i] - f0[i]) / sc;
            d2 += v * v;
        }
        d2 = Math.Sqrt(d2 / d) / h0;
        double h1 = Math.Max(d1, d2) <= 1e-15 ? Math.Max(1e-6, h0 * 1e-3) : Math.Pow(0.01 / Math.Max(d1, d2), 0.2);
        return Math.Min(100 * h0, h1);
    }
}
