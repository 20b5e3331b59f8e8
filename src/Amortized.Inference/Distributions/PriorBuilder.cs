namespace Amortized.Inference.Distributions;

/// <summary>
/// Builds a <see cref="Prior"/> from named, independent components:
/// <c>new PriorBuilder().Add("mu", new Normal(0, 1)).Add("sigma", new HalfNormal(1)).Build()</c>.
/// The parameter vector theta (P) is the components' values concatenated in the order added.
/// </summary>
public sealed class PriorBuilder
{
    private readonly List<PriorComponent> _components = [];

    /// <summary>Adds a scalar parameter (one value of theta).</summary>
    public PriorBuilder Add(string name, IDistribution distribution)
    {
        ArgumentNullException.ThrowIfNull(distribution);
        return AddCore(new PriorComponent(name, distribution, null));
    }

    /// <summary>Adds a vector parameter (<see cref="IMultivariateDistribution.Dimension"/> values of theta).</summary>
    public PriorBuilder Add(string name, IMultivariateDistribution distribution)
    {
        ArgumentNullException.ThrowIfNull(distribution);
        return AddCore(new PriorComponent(name, null, distribution));
    }

    /// <summary>The prior; its parameters live under <paramref name="parameterKey"/>, shape (B, P).</summary>
    public Prior Build(string parameterKey = "theta")
    {
        if (_components.Count == 0)
            throw new InvalidOperationException("PriorBuilder.Build: no components; call Add first.");
        return new Prior([.. _components], parameterKey);
    }

    private PriorBuilder AddCore(PriorComponent component)
    {
        ArgumentException.ThrowIfNullOrEmpty(component.Name, "name");
        foreach (PriorComponent c in _components)
            if (c.Name == component.Name)
                throw new ArgumentException($"PriorBuilder.Add: a component named '{component.Name}' already exists.",
                    "name");
        _components.Add(component);
        return this;
    }
}

/// <summary>One named component of a <see cref="Prior"/>: exactly one of the two distributions is set.</summary>
internal sealed record PriorComponent(string Name, IDistribution? Univariate, IMultivariateDistribution? Multivariate)
{
    public int Size => Multivariate?.Dimension ?? 1;
}
