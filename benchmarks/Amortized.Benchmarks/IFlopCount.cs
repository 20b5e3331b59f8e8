namespace Amortized.Benchmarks;

/// <summary>
/// A benchmark class whose operations have a known floating-point operation count, read by
/// <see cref="GflopsColumn"/> (an FMA counts as 2 flops).
/// </summary>
public interface IFlopCount
{
    /// <summary>Flops of one benchmark invocation, for the given benchmark method and parameter values.</summary>
    double FlopsPerOperation(string method, IReadOnlyDictionary<string, object> parameters);
}
