using Amortized.Networks.Numerics;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Networks.Flows;

/// <summary>How an ODE-based network integrates its ODE.</summary>
public enum OdeMethod
{
    /// <summary>Explicit Euler with a fixed number of steps.</summary>
    Euler,
    /// <summary>Classic fourth-order Runge-Kutta with a fixed number of steps.</summary>
    RungeKutta4,
    /// <summary>Adaptive Dormand-Prince 5(4) with error control.</summary>
    DormandPrince,
}

/// <summary>
/// A velocity field v(x, t) over a batch: x (B, D), t (B, 1) -> (B, D), each output row a function of its own input
/// row only (rows never mix), which is what lets one reverse pass per feature give the exact Jacobian trace.
/// </summary>
public delegate Tensor VelocityField(Tensor x, Tensor t);

/// <summary>
/// Integrates dx/dt = v(x, t) for a batch from t0 to t1 and, when asked, the exact divergence integral
/// A = int tr(dv/dx) dt per row (the instantaneous change of variables, Chen et al. 2018): with t0 the data and t1
/// the base, log q(x) = log p_base(x(t1)) + A. The trace takes D reverse passes per field evaluation, so it suits
/// the small D of posterior inference. Shared by <see cref="FlowMatching"/> and the diffusion model.
/// </summary>
public static class VelocityFieldIntegrator
{
    /// <summary>
    /// Integrates <paramref name="x"/> (B, D) from <paramref name="t0"/> to <paramref name="t1"/> with
    /// <paramref name="method"/>; adds the divergence integral from t0 to t1 into <paramref name="accumulated"/> (B)
    /// when it is not null. Records nothing on the caller's tape.
    /// </summary>
    public static Tensor Integrate(VelocityField field, Tensor x, double t0, double t1, OdeMethod method, int steps,
        double relativeTolerance, double absoluteTolerance, float[]? accumulated)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 2) throw new ArgumentException($"x is {x.Shape}; expected (B, D).", nameof(x));
        if (accumulated is not null && accumulated.Length != x.Shape[0])
            throw new ArgumentException($"accumulated has {accumulated.Length} entries; expected {x.Shape[0]}.",
                nameof(accumulated));
        return method switch
        {
            OdeMethod.Euler => FixedSteps(field, x, t0, t1, steps, accumulated, rk4: false),
            OdeMethod.RungeKutta4 => FixedSteps(field, x, t0, t1, steps, accumulated, rk4: true),
            _ => Adaptive(field, x, t0, t1, relativeTolerance, absoluteTolerance, accumulated),
        };
    }

    /// <summary>
    /// v(x, t) at one time for every row and, when <paramref name="trace"/> is not empty, tr(dv/dx) per row into it;
    /// records nothing for the caller.
    /// </summary>
    public static Tensor Evaluate(VelocityField field, Tensor x, double time, Span<float> trace)
    {
        int b = x.Shape[0], d = x.Shape[1];
        var t = Tensor.Full(new Shape(b, 1), (float)time);
        if (trace.IsEmpty)
        {
            using var noGrad = Tape.NoGrad();
            return field(x, t).Detach();
        }
        var tape = new Tape();
        var xr = x.Detach();
        xr.RequiresGrad = true;
        Tensor v;
        var components = new Tensor[d];
        using (tape.Record())
        {
            v = field(xr, t);
            for (int i = 0; i < d; i++) components[i] = v.Slice(1, i, 1).Sum();
        }
        trace.Clear();
        for (int i = 0; i < d; i++)
        {
            // Row r of v[:, i] depends only on row r of x, so d(sum_r v[r, i]) / dx[r, i] = dv_i/dx_i at row r.
            var g = tape.Gradient(components[i], xr).ToArray();
            for (int r = 0; r < b; r++) trace[r] += g[r * d + i];
        }
        return v.Detach();
    }

    private static Tensor FixedSteps(VelocityField field, Tensor x, double t0, double t1, int steps,
        float[]? accumulated, bool rk4)
    {
        if (steps <= 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "Steps must be positive.");
        double h = (t1 - t0) / steps;
        int b = x.Shape[0];
        var tr = accumulated is null ? null : new float[4][];
        if (tr is not null) for (int s = 0; s < 4; s++) tr[s] = new float[b];
        using var noGrad = Tape.NoGrad();
        for (int step = 0; step < steps; step++)
        {
            double t = t0 + step * h;
            if (!rk4)
            {
                var k = Evaluate(field, x, t, tr is null ? default : tr[0]);
                x = x + k * (float)h;
                if (tr is not null) for (int r = 0; r < b; r++) accumulated![r] += (float)h * tr[0][r];
                continue;
            }
            var k1 = Evaluate(field, x, t, tr is null ? default : tr[0]);
            var k2 = Evaluate(field, x + k1 * (float)(h / 2), t + h / 2, tr is null ? default : tr[1]);
            var k3 = Evaluate(field, x + k2 * (float)(h / 2), t + h / 2, tr is null ? default : tr[2]);
            var k4 = Evaluate(field, x + k3 * (float)h, t + h, tr is null ? default : tr[3]);
            x = x + (k1 + k2 * 2f + k3 * 2f + k4) * (float)(h / 6);
            if (tr is not null)
                for (int r = 0; r < b; r++)
                    accumulated![r] += (float)(h / 6) * (tr[0][r] + 2 * tr[1][r] + 2 * tr[2][r] + tr[3][r]);
        }
        return x;
    }

    /// <summary>
    /// Dormand-Prince 5(4) over the flattened state [x (B * D), A (B)] in double, with error control over the
    /// whole batch. The solver runs forward in s from 0 to 1, with t = t0 + s (t1 - t0), so dy/ds = (t1 - t0) dy/dt.
    /// The state lives on the host (the solver is host code); each evaluation uploads x and reads v back.
    /// </summary>
    private static Tensor Adaptive(VelocityField field, Tensor x, double t0, double t1, double relativeTolerance,
        double absoluteTolerance, float[]? accumulated)
    {
        int b = x.Shape[0], n = x.Size;
        var shape = x.Shape;
        double span = t1 - t0;
        var start = x.ToArray();
        var y0 = new double[n + (accumulated is null ? 0 : b)];
        for (int i = 0; i < n; i++) y0[i] = start[i];
        var trace = accumulated is null ? null : new float[b];
        var host = new float[n];
        void Derivative(double s, ReadOnlySpan<double> y, Span<double> dyds)
        {
            for (int i = 0; i < n; i++) host[i] = (float)y[i];
            var state = Tensor.FromArray(host, shape);
            var v = Evaluate(field, state, t0 + s * span, trace is null ? default : trace).ToArray();
            for (int i = 0; i < n; i++) dyds[i] = span * v[i];
            if (trace is not null) for (int r = 0; r < b; r++) dyds[n + r] = span * trace[r];
        }
        using var noGrad = Tape.NoGrad();
        var solution = DormandPrince.Solve(Derivative, 0.0, 1.0, y0,
            new OdeOptions { RelativeTolerance = relativeTolerance, AbsoluteTolerance = absoluteTolerance });
        var end = solution.Evaluate(1.0);
        for (int i = 0; i < n; i++) host[i] = (float)end[i];
        if (accumulated is not null) for (int r = 0; r < b; r++) accumulated[r] += (float)end[n + r];
        return Tensor.FromArray(host, shape);
    }
}
