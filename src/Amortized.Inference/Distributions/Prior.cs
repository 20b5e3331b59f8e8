using Amortized.Inference.Simulators;
using Amortized.Tensors;

namespace Amortized.Inference.Distributions;

/// <summary>
/// A prior of independent named components (built by <see cref="PriorBuilder"/>): theta (P) is their values
/// concatenated in order and log p(theta) the sum of their log densities. As an <see cref="IPrior"/> it serves a
/// simulator's prior stage (<see cref="PriorExtensions.DrawRow"/>, one key of shape (B, P)), NLE's
/// <c>LikelihoodPosterior</c> and the diagnostics; <see cref="DrawNamed"/> sets one key per component instead.
/// </summary>
public sealed class Prior : IPrior
{
    private readonly PriorComponent[] _components;
    private readonly int[] _offsets;
    private readonly string[] _names;

    internal Prior(PriorComponent[] components, string parameterKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(parameterKey);
        _components = components;
        ParameterKey = parameterKey;
        _offsets = new int[components.Length];
        var names = new List<string>();
        int offset = 0;
        for (int c = 0; c < components.Length; c++)
        {
            _offsets[c] = offset;
            offset += components[c].Size;
            if (components[c].Multivariate is null) names.Add(components[c].Name);
            else for (int i = 0; i < components[c].Size; i++) names.Add($"{components[c].Name}[{i}]");
        }
        ParameterDim = offset;
        _names = [.. names];
    }

    /// <inheritdoc/>
    public string ParameterKey { get; }

    /// <inheritdoc/>
    public int ParameterDim { get; }

    /// <summary>A name per value of theta (P): the component's name, or name[i] inside a vector component.</summary>
    public IReadOnlyList<string> ParameterNames => _names;

    /// <summary>The components' names, in order.</summary>
    public IEnumerable<string> ComponentNames => _components.Select(c => c.Name);

    /// <inheritdoc/>
    /// <remarks>Components draw in order from the one stream, so <see cref="DrawNamed"/> gives the same
    /// values.</remarks>
    public void SamplePrior(Rng rng, Span<float> theta)
    {
        ArgumentNullException.ThrowIfNull(rng);
        RequireLength(theta.Length, nameof(theta));
        for (int c = 0; c < _components.Length; c++)
        {
            PriorComponent component = _components[c];
            Span<float> slot = theta.Slice(_offsets[c], component.Size);
            if (component.Univariate is { } u)
            {
                slot[0] = (float)u.Sample(rng);
                continue;
            }
            var draw = new double[component.Size];
            component.Multivariate!.Sample(rng, draw);
            for (int i = 0; i < draw.Length; i++) slot[i] = (float)draw[i];
        }
    }

    /// <inheritdoc/>
    public double LogPrior(ReadOnlySpan<float> theta)
    {
        RequireLength(theta.Length, nameof(theta));
        double sum = 0;
        for (int c = 0; c < _components.Length && sum > double.NegativeInfinity; c++)
        {
            PriorComponent component = _components[c];
            ReadOnlySpan<float> slot = theta.Slice(_offsets[c], component.Size);
            if (component.Univariate is { } u)
            {
                sum += u.LogDensity(slot[0]);
                continue;
            }
            var x = new double[slot.Length];
            for (int i = 0; i < x.Length; i++) x[i] = slot[i];
            sum += component.Multivariate!.LogDensity(x);
        }
        return sum;
    }

    /// <summary>
    /// A simulator's prior stage that sets one key per component (a scalar, or a vector of its dimension) instead
    /// of one theta key: <c>Simulator.Build().Prior(prior.DrawNamed)</c>.
    /// </summary>
    public void DrawNamed(RowContext row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var theta = new float[ParameterDim];
        SamplePrior(row.Rng, theta);
        for (int c = 0; c < _components.Length; c++)
        {
            PriorComponent component = _components[c];
            if (component.Univariate is not null) row.Set(component.Name, theta[_offsets[c]]);
            else row.Set(component.Name, theta.AsSpan(_offsets[c], component.Size).ToArray());
        }
    }

    private void RequireLength(int length, string name)
    {
        if (length != ParameterDim)
            throw new ArgumentException($"Prior: {name} holds {length} values; expected P = {ParameterDim} " +
                $"({string.Join(", ", _names)}).", name);
    }
}
