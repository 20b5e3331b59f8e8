using Amortized.Tensors;

namespace Amortized.Networks.Flows;

/// <summary>
/// A normalizing flow of Depth blocks [ActNorm, permutation, (dual) coupling] over a standard normal, Student-t or
/// trainable Gaussian-mixture base (BayesFlow coupling_flow.py; Dinh et al. 2017, Durkan et al. 2019).
/// log q(x | c) = log p_base(f(x; c)) + log|det df/dx|. Shapes: x (B, D), conditions (B, C).
/// </summary>
public sealed class CouplingFlow : InferenceNetwork, IInvertibleLayer
{
    private readonly List<IInvertibleLayer> _layers = [];

    /// <summary>Creates the flow over R^<paramref name="dimension"/> with C condition features.</summary>
    public CouplingFlow(ParameterStore store, string name, int dimension, int conditionDim,
        CouplingFlowOptions? options, Rng rng)
        : base(name, dimension, conditionDim)
    {
        Options = options ?? new CouplingFlowOptions();
        if (Options.Depth <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), Options.Depth, "Depth must be positive.");
        if (Options.ConditionalAffine && conditionDim > 0)
            _layers.Add(AddChild(new ConditionalAffine(store, $"{name}.conditional_affine", dimension,
                conditionDim, Options.AffineScale, rng)));
        for (int k = 0; k < Options.Depth; k++)
        {
            string block = $"{name}.block{k}";
            if (Options.UseActNorm) _layers.Add(AddChild(new ActNorm(store, $"{block}.actnorm", dimension, rng)));
            switch (Options.Permutation)
            {
                case PermutationKind.Random:
                    _layers.Add(AddChild(FixedPermutation.Random($"{block}.permutation", dimension, rng)));
                    break;
                case PermutationKind.Swap:
                    _layers.Add(AddChild(FixedPermutation.Swap($"{block}.permutation", dimension)));
                    break;
                case PermutationKind.Learnable:
                    _layers.Add(AddChild(new LuPermutation(store, $"{block}.permutation", dimension, rng)));
                    break;
            }
            _layers.Add(AddChild(new DualCoupling(store, $"{block}.coupling", dimension, conditionDim, Options, rng)));
        }
        Base = CreateBase(store, name, dimension, Options, rng);
    }

    /// <summary>The options.</summary>
    public CouplingFlowOptions Options { get; }

    // The mixture's parameters are created after every layer's, so flows without one keep their parameter order and
    // random draws (and old model files load unchanged).
    private BaseDistribution CreateBase(ParameterStore store, string name, int dimension, CouplingFlowOptions o,
        Rng rng)
    {
        if (o.BaseMixtureComponents is not int k || k == 1)
            return o.StudentTDegreesOfFreedom is { } nu ? new StudentT(dimension, nu) : new StandardNormal(dimension);
        if (k is < 1 or > CouplingFlowOptions.MaxBaseMixtureComponents)
            throw new ArgumentException($"CouplingFlowOptions.BaseMixtureComponents is {k}; expected 1 to " +
                $"{CouplingFlowOptions.MaxBaseMixtureComponents} (or null for the standard normal).", nameof(o));
        if (o.StudentTDegreesOfFreedom is not null)
            throw new ArgumentException("CouplingFlowOptions.BaseMixtureComponents and StudentTDegreesOfFreedom " +
                "both choose the latent distribution; set at most one.", nameof(o));
        return AddChild(new GaussianMixtureBase(store, $"{name}.base", k, dimension, rng)).Distribution;
    }

    /// <summary>The latent distribution.</summary>
    public BaseDistribution Base { get; }

    /// <summary>The layers in forward order.</summary>
    public IReadOnlyList<IInvertibleLayer> Layers => _layers;

    /// <inheritdoc />
    public (Tensor Y, Tensor LogDet) Forward(Tensor x, Tensor? conditions)
    {
        CheckInputs(x, conditions);
        Tensor z = x;
        Tensor? logDet = null;
        foreach (var layer in _layers)
        {
            (z, var ld) = layer.Forward(z, conditions);
            logDet = logDet is null ? ld : logDet + ld;
        }
        return (z, logDet!);
    }

    /// <inheritdoc />
    public (Tensor X, Tensor LogDet) Inverse(Tensor z, Tensor? conditions)
    {
        CheckInputs(z, conditions);
        Tensor x = z;
        Tensor? logDet = null;
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            (x, var ld) = _layers[i].Inverse(x, conditions);
            logDet = logDet is null ? ld : logDet + ld;
        }
        return (x, logDet!);
    }

    /// <inheritdoc />
    public override Tensor LogProb(Tensor x, Tensor? conditions)
    {
        var (z, logDet) = Forward(x, conditions);
        return Base.LogProb(z) + logDet;
    }

    /// <inheritdoc />
    /// <remarks>
    /// The <see cref="ConditionalAffine"/> layer when the options ask for one (it is the first layer, so it sees x
    /// itself), and only while it is untouched: a model already initialised, trained or loaded keeps its weights
    /// when a new trainer fits it further.
    /// </remarks>
    public override IDataInitializer? CreateDataInitializer() =>
        _layers.Count > 0 && _layers[0] is ConditionalAffine { IsUntouched: true } affine
            ? affine.CreateInitializer() : null;

    /// <inheritdoc />
    protected override Tensor SampleRows(int rows, Tensor? conditions, Rng rng) =>
        Inverse(Base.Sample(rows, rng), conditions).X;

    /// <inheritdoc />
    protected override string Describe() =>
        $"CouplingFlow(D={Dimension}, C={ConditionDim}, depth {Options.Depth}, " +
        $"{Options.Transform}, {Options.Permutation}" +
        (Base is DiagonalGaussianMixture m ? $", mixture base x{m.Components}" : "") + ")";
}
