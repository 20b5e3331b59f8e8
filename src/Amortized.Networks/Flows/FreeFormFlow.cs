using Amortized.Networks.Numerics;
using Amortized.Tensors;
using Amortized.Tensors.Autodiff;

namespace Amortized.Networks.Flows;

/// <summary>
/// A free-form flow (Draxler et al. 2024, "Free-form flows: make any architecture a normalizing flow"; Sorrenson
/// et al. 2024, "Lifting architectural constraints of injective flows"; BayesFlow's experimental FreeFormFlow): an
/// unconstrained encoder f(x, c) = x + r_f([x, c]) and decoder g(z, c) = z + r_g([z, c]), each r a residual MLP
/// whose output projection starts at zero (a fresh flow is the identity), trained so that f pushes the data to
/// N(0, I) and g inverts f. Shapes: x, z (B, D), conditions (B, C), log density (B).
/// </summary>
/// <remarks>
/// <para>Loss per row (Draxler et al. eq. 7 with the reconstruction term of eq. 9):
/// -log N(f(x)) - sg(v' J_g(f(x))) J_f(x) v + beta |x - g(f(x))|^2, v a Hutchinson probe with E[v v'] = I. Its
/// gradient in the encoder's weights is, in expectation, that of -log N(f(x)) - tr(J_g d J_f), which equals the
/// maximum-likelihood gradient -d log|det J_f| = -tr(J_f^-1 d J_f) where g inverts f (J_g = J_f^-1).</para>
/// <para>The engine has reverse mode only. The vector-Jacobian product v' J_g is one reverse pass through the
/// decoder at the detached latent (it is stop-gradient, so no second-order derivatives are needed). The
/// Jacobian-vector product J_f v has no forward mode here: it is v + (r_f(x + h v) - r_f(x - h v)) / (2h), the
/// identity part exact and only the residual branch by central differences, computed in the same encoder pass as
/// f(x) (rows [x; x + h v; x - h v]) and differentiable in the weights by ordinary reverse mode. (BayesFlow puts
/// the gradient on the encoder's VJP instead, which needs a second-order reverse pass; the trace estimated is the
/// same, tr(J_g J_f).)</para>
/// <para>The exact density is log N(f(x)) + log|det J_f(x)| with J_f from D reverse passes and a host LU log
/// determinant in double. Sampling is x = g(z), z ~ N(0, I). Because g only approximately inverts f, the density
/// describes the encoder's pushforward while samples come from the decoder's: the two agree to the extent that
/// |x - g(f(x))| is small (FreeFormFlowTests measures both).</para>
/// </remarks>
public sealed class FreeFormFlow : InferenceNetwork
{
    private readonly Mlp _encoder;
    private readonly Mlp _decoder;
    private readonly StandardNormal _base;

    /// <summary>Creates the flow over R^D with C condition features.</summary>
    public FreeFormFlow(ParameterStore store, string name, int dimension, int conditionDim,
        FreeFormFlowOptions? options, Rng rng)
        : base(name, dimension, conditionDim)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Options = options ?? new FreeFormFlowOptions();
        Options.Validate();
        _encoder = AddChild(new Mlp(store, $"{name}.encoder", dimension + conditionDim, Residual(dimension), rng));
        _decoder = AddChild(new Mlp(store, $"{name}.decoder", dimension + conditionDim, Residual(dimension), rng));
        _base = new StandardNormal(dimension);
        NoiseRng = rng.Fork(rng.NextUInt32() | ((ulong)rng.NextUInt32() << 32));
    }

    /// <summary>The options.</summary>
    public FreeFormFlowOptions Options { get; }

    /// <inheritdoc />
    /// <remarks>The surrogate's value is sg(v'J_g) J_f v, about D whatever the log-determinant is, so the loss stays
    /// level while the fit improves; keeping the lowest-loss epoch kept a near-identity network (seen: a posterior sd
    /// of 0.6 where the exact one is 0.094).</remarks>
    public override bool LossComparesEpochs => false;

    // BayesFlow's "mlp" subnet: residual hidden layers, then a zero-initialised linear projection to D.
    private MlpOptions Residual(int dimension) => new()
    {
        Widths = Options.Widths,
        Activation = Options.Activation,
        Residual = true,
        OutputDim = dimension,
        ZeroOutput = true,
    };

    /// <summary>f(x, c) = x + r_f([x, c]): x (B, D), conditions (B, C) -> z (B, D). Differentiable.</summary>
    public Tensor Encode(Tensor x, Tensor? conditions)
    {
        CheckInputs(x, conditions);
        return x + Branch(_encoder, x, conditions);
    }

    /// <summary>g(z, c) = z + r_g([z, c]): z (B, D), conditions (B, C) -> x (B, D). Differentiable.</summary>
    public Tensor Decode(Tensor z, Tensor? conditions)
    {
        CheckInputs(z, conditions);
        return z + Branch(_decoder, z, conditions);
    }

    private Tensor Branch(Mlp mlp, Tensor x, Tensor? conditions) =>
        mlp.Forward(conditions is null || ConditionDim == 0 ? x : Tensor.Concat(x, conditions, 1));

    /// <summary>
    /// The free-form flow loss per row (B; see the remarks on the class); the probes come from
    /// <see cref="InferenceNetwork.NoiseRng"/>.
    /// </summary>
    public override Tensor RowLosses(Tensor x, Tensor? conditions)
    {
        CheckInputs(x, conditions);
        var v = Probes(x.Shape, NoiseRng);
        var h = (float)Options.Step;
        var (z, jfv) = EncodeWithJvp(x, conditions, v, h);
        var vjg = DecoderVjp(z, conditions, v);
        // sg(v' J_g) J_f v per row.
        var surrogate = (vjg * jfv).Sum(1);
        var reconstruction = (x - Decode(z, conditions)).Square().Sum(1);
        return -_base.LogProb(z) - surrogate + reconstruction * (float)Options.Beta;
    }

    /// <summary>
    /// z = f(x) (B, D) and the central-difference J_f(x) v (B, D) from one encoder pass over the rows
    /// [x; x + h v; x - h v] (3B, D); both differentiable in the weights (and the conditions).
    /// </summary>
    internal (Tensor Z, Tensor Jvp) EncodeWithJvp(Tensor x, Tensor? conditions, Tensor v, float h)
    {
        int b = x.Shape[0];
        var step = v * h;
        var rows = Tensor.Concat([x, x + step, x - step], 0);
        var c3 = conditions is null || ConditionDim == 0
            ? null : Tensor.Concat([conditions, conditions, conditions], 0);
        var r = Branch(_encoder, rows, c3);
        var z = x + r.Slice(0, 0, b);
        // d/dx (x + r(x)) v = v + J_r v; the identity part is exact, so only the residual branch carries the O(h^2)
        // truncation and the float32 rounding of the difference.
        var jvp = v + (r.Slice(0, b, b) - r.Slice(0, 2 * b, b)) * (0.5f / h);
        return (z, jvp);
    }

    /// <summary>
    /// v' J_g(z) (B, D) per row by one reverse pass of the decoder on its own tape at the detached z; the result
    /// carries no gradient (the surrogate's stop-gradient).
    /// </summary>
    internal Tensor DecoderVjp(Tensor z, Tensor? conditions, Tensor v)
    {
        var tape = new Tape();
        var zr = z.Detach();
        zr.RequiresGrad = true;
        var c = conditions?.Detach();
        Tensor projected;
        using (tape.Record()) projected = (Decode(zr, c) * v).Sum();
        // Rows never mix, so d(sum_r g(z_r) . v_r) / d z_r = v_r' J_g(z_r).
        return tape.Gradient(projected, zr).Detach();
    }

    /// <summary>Hutchinson probes (B, D) with E[v v'] = I, drawn on the ambient device.</summary>
    internal Tensor Probes(Shape shape, Rng rng)
    {
        var n = Tensor.RandomNormal(shape, rng);
        if (Options.HutchinsonSampling == HutchinsonSampling.Normal) return n;
        // Uniform on the sphere of radius sqrt(D): E[v v'] = (D / D) I.
        var norm = n.Square().Sum(1, keepDims: true).Sqrt();
        return n / norm * MathF.Sqrt(shape[1]);
    }

    /// <summary>
    /// The exact log density log N(f(x)) + log|det J_f(x)| per row (B), J_f from D reverse passes and its log
    /// determinant by a host LU in double. Not differentiable (training uses <see cref="RowLosses"/>).
    /// </summary>
    public override Tensor LogProb(Tensor x, Tensor? conditions)
    {
        CheckInputs(x, conditions);
        int b = x.Shape[0], d = Dimension;
        var (z, jacobians) = EncoderJacobians(x, conditions);
        var logDet = new float[b];
        for (int r = 0; r < b; r++)
            logDet[r] = (float)DenseLu.LogAbsDeterminant(jacobians.AsSpan(r * d * d, d * d), d);
        using var noGrad = Tape.NoGrad();
        return _base.LogProb(z) + Tensor.FromArray(logDet, b);
    }

    /// <summary>
    /// f(x) (B, D, detached) and the Jacobians df/dx per row on the host, row-major (B * D * D): entry
    /// [r, i, j] = d f_i / d x_j at row r. D reverse passes, one per output feature.
    /// </summary>
    internal (Tensor Z, double[] Jacobians) EncoderJacobians(Tensor x, Tensor? conditions)
    {
        int b = x.Shape[0], d = Dimension;
        var tape = new Tape();
        var xr = x.Detach();
        xr.RequiresGrad = true;
        var c = conditions?.Detach();
        Tensor z;
        var components = new Tensor[d];
        using (tape.Record())
        {
            z = Encode(xr, c);
            for (int i = 0; i < d; i++) components[i] = z.Slice(1, i, 1).Sum();
        }
        var jacobians = new double[b * d * d];
        for (int i = 0; i < d; i++)
        {
            // Row r of f_i depends only on row r of x, so d(sum_r f_i(x_r)) / d x_r = row i of J_f(x_r).
            var g = tape.Gradient(components[i], xr).ToArray();
            for (int r = 0; r < b; r++)
                for (int j = 0; j < d; j++) jacobians[(r * d + i) * d + j] = g[r * d + j];
        }
        return (z.Detach(), jacobians);
    }

    /// <inheritdoc />
    protected override Tensor SampleRows(int rows, Tensor? conditions, Rng rng) =>
        Decode(_base.Sample(rows, rng), conditions);

    /// <inheritdoc />
    protected override string Describe() =>
        $"FreeFormFlow(D={Dimension}, C={ConditionDim}, beta {Options.Beta}, {Options.HutchinsonSampling} probes)";
}
