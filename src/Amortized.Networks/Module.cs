using System.Text;
using Amortized.Tensors;

namespace Amortized.Networks;

/// <summary>
/// A building block with parameters (slices of a shared <see cref="ParameterStore"/>) and child modules.
/// Modules are built with known sizes in their constructors; there is no lazy build.
/// </summary>
public abstract class Module
{
    private readonly List<Module> _children = [];
    private readonly List<Tensor> _parameters = [];
    private bool _training = true;
    private Rng? _dropoutRng;

    /// <summary>Creates a module named <paramref name="name"/> (its path, used to name parameters).</summary>
    protected Module(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The module's path, e.g. "flow.coupling0.subnet".</summary>
    public string Name { get; }

    /// <summary>Training mode (dropout active) or evaluation mode; setting it propagates to children.</summary>
    public bool Training
    {
        get => _training;
        set
        {
            _training = value;
            foreach (var c in _children) c.Training = value;
        }
    }

    /// <summary>
    /// Random source for dropout in training mode; null disables dropout. Setting it propagates to children, so
    /// a trainer sets one stream per step on the top module and every layer draws from it in a fixed order.
    /// </summary>
    public Rng? DropoutRng
    {
        get => _dropoutRng;
        set
        {
            _dropoutRng = value;
            foreach (var c in _children) c.DropoutRng = value;
        }
    }

    /// <summary>Direct children.</summary>
    public IReadOnlyList<Module> Children => _children;

    /// <summary>This module's own parameters and, recursively, its children's.</summary>
    public IEnumerable<Tensor> Parameters()
    {
        foreach (var p in _parameters) yield return p;
        foreach (var c in _children)
            foreach (var p in c.Parameters()) yield return p;
    }

    /// <summary>Number of scalar parameters, children included.</summary>
    public int ParameterCount
    {
        get
        {
            int n = 0;
            foreach (var p in Parameters()) n += p.Size;
            return n;
        }
    }

    /// <summary>Registers a child (its parameters count as this module's).</summary>
    protected T AddChild<T>(T child) where T : Module
    {
        _children.Add(child);
        return child;
    }

    /// <summary>Creates a parameter "{Name}.{localName}" in <paramref name="store"/>.</summary>
    protected Tensor AddParameter(ParameterStore store, string localName, Shape shape, Initializer init, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(store);
        var p = store.Add($"{Name}.{localName}", shape, init, rng);
        _parameters.Add(p);
        return p;
    }

    /// <summary>A one-line description of this module (without children).</summary>
    protected virtual string Describe() => GetType().Name;

    /// <summary>The module tree with parameter counts, like zuko's repr.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Print(sb, 0);
        return sb.ToString();
    }

    private void Print(StringBuilder sb, int depth)
    {
        sb.Append(' ', depth * 2).Append(Name).Append(": ").Append(Describe());
        sb.Append(" [").Append(ParameterCount).Append(" params]").Append('\n');
        foreach (var c in _children) c.Print(sb, depth + 1);
    }
}
