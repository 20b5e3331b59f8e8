using System.Diagnostics;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Diagnostics;

/// <summary>
/// Posterior draws for many data sets: shape (N, S, D) stored row-major (C order), N data sets, S draws per data
/// set, D scalar parameters. Element [n, s, d] sits at <c>(n * S + s) * D + d</c>, the layout of
/// <see cref="Approximators.ContinuousApproximator.Sample"/>. Truths passed next to draws have shape (N, D).
/// </summary>
[DebuggerDisplay("PosteriorDraws(N={Datasets}, S={Draws}, D={Parameters})")]
public sealed class PosteriorDraws
{
    private readonly float[] _values;
    private readonly string[] _names;

    /// <summary>Wraps <paramref name="values"/> (not copied) as draws of shape (datasets, draws, parameters).</summary>
    /// <param name="values">N * S * D values, row-major (N, S, D).</param>
    /// <param name="datasets">N, at least 1.</param>
    /// <param name="draws">S, at least 2 (standard deviations need two draws).</param>
    /// <param name="parameters">D, at least 1.</param>
    /// <param name="names">D parameter names; default <c>theta[0]</c> .. <c>theta[D-1]</c>.</param>
    public PosteriorDraws(float[] values, int datasets, int draws, int parameters, IReadOnlyList<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (datasets < 1) throw new ArgumentOutOfRangeException(nameof(datasets), datasets,
            "PosteriorDraws: expected at least 1 data set (N).");
        if (draws < 2) throw new ArgumentOutOfRangeException(nameof(draws), draws,
            "PosteriorDraws: expected at least 2 draws per data set (S).");
        if (parameters < 1) throw new ArgumentOutOfRangeException(nameof(parameters), parameters,
            "PosteriorDraws: expected at least 1 parameter (D).");
        long expected = (long)datasets * draws * parameters;
        if (values.Length != expected)
            throw new ArgumentException(
                $"PosteriorDraws: values has {values.Length} elements; expected N x S x D = {datasets} x {draws} x " +
                $"{parameters} = {expected}.",
                nameof(values));
        if (names is not null && names.Count != parameters)
            throw new ArgumentException(
                $"PosteriorDraws: {names.Count} names given for D = {parameters} parameters.", nameof(names));
        _values = values;
        Datasets = datasets;
        Draws = draws;
        Parameters = parameters;
        _names = new string[parameters];
        for (int d = 0; d < parameters; d++) _names[d] = names?[d] ?? $"theta[{d}]";
    }

    /// <summary>Number of data sets N.</summary>
    public int Datasets { get; }

    /// <summary>Number of draws per data set S.</summary>
    public int Draws { get; }

    /// <summary>Number of scalar parameters D.</summary>
    public int Parameters { get; }

    /// <summary>One name per parameter (D).</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>All values, row-major (N, S, D).</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>
    /// Draw <paramref name="s"/> of parameter <paramref name="d"/> for data set <paramref name="n"/>.
    /// </summary>
    public float this[int n, int s, int d]
    {
        get
        {
            if ((uint)n >= (uint)Datasets || (uint)s >= (uint)Draws || (uint)d >= (uint)Parameters)
                throw new ArgumentOutOfRangeException(nameof(n),
                    $"PosteriorDraws: index [{n}, {s}, {d}] is outside shape ({Datasets}, {Draws}, {Parameters}).");
            return _values[((long)n * Draws + s) * Parameters + d];
        }
    }

    /// <summary>
    /// Draws of <paramref name="key"/> from a sampled batch: shape (N, S) is one parameter, (N, S, ...) is flattened
    /// to (N, S, D) with D the product of the trailing axes (C order, so names follow the flattened order).
    /// The batch's array is used without a copy.
    /// </summary>
    public static PosteriorDraws FromBatch(SimulationBatch draws, string key, IReadOnlyList<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(draws);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ReadOnlySpan<int> shape = draws.Shape(key);
        if (shape.Length < 2)
            throw new ArgumentException(
                $"PosteriorDraws.FromBatch: key '{key}' has shape {ShapeText.Format(shape)}; expected (N, S) or " +
                "(N, S, D...).", nameof(key));
        int d = ShapeText.Product(shape[2..]);
        return new PosteriorDraws(draws.Get(key), shape[0], shape[1], d, names);
    }

    /// <summary>
    /// Draws of several keys from a sampled batch, each (N, S, ...): the keys' flattened values side by side, in the
    /// order given, so D is the sum of their per-draw sizes; names from the keys (<c>beta[0]</c>, <c>sigma</c>) unless
    /// <paramref name="names"/> are given (<see cref="ParameterLayout"/>). The values are copied.
    /// </summary>
    public static PosteriorDraws FromBatch(SimulationBatch draws, IReadOnlyList<string> keys,
        IReadOnlyList<string>? names = null) =>
        ParameterLayout.FromBatch(draws, keys, leadingAxes: 2).Draws(draws, names);

    /// <summary>Copies the S draws of parameter <paramref name="d"/> for data set <paramref name="n"/>.</summary>
    internal void CopyColumn(int n, int d, Span<float> destination)
    {
        Debug.Assert(destination.Length == Draws);
        int offset = n * Draws * Parameters + d;
        for (int s = 0; s < Draws; s++) destination[s] = _values[offset + s * Parameters];
    }

    /// <summary>Mean and sample standard deviation (ddof = 1) of parameter d over the draws of data set n.</summary>
    internal (double Mean, double Sd) MeanSd(int n, int d)
    {
        int offset = n * Draws * Parameters + d;
        double sum = 0;
        for (int s = 0; s < Draws; s++) sum += _values[offset + s * Parameters];
        double mean = sum / Draws, sq = 0;
        for (int s = 0; s < Draws; s++)
        {
            double e = _values[offset + s * Parameters] - mean;
            sq += e * e;
        }
        return (mean, Math.Sqrt(sq / (Draws - 1)));
    }

    /// <summary>Throws unless <paramref name="truths"/> has shape (N, D).</summary>
    internal void CheckTruths(ReadOnlySpan<float> truths, string method)
    {
        if (truths.Length != (long)Datasets * Parameters)
            throw new ArgumentException(
                $"{method}: truths has {truths.Length} values; expected (N, D) = ({Datasets}, {Parameters}) = " +
                $"{(long)Datasets * Parameters} to match the draws ({Datasets}, {Draws}, {Parameters}).",
                nameof(truths));
    }
}
