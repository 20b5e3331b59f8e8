using Amortized.Tensors.Autodiff;
using Xunit;

namespace Amortized.Tensors.Tests;

/// <summary>Every shape mismatch fails with a message that names the actual shapes involved.</summary>
public class ShapeErrorTests
{
    private static Tensor T(params int[] dims) => Tensor.Zeros(dims);

    private static readonly Dictionary<string, (Action Act, string[] Expected)> s_cases = new()
    {
        ["matmul inner"] = (() => T(2, 3).MatMul(T(4, 5)), ["(2, 3)", "(4, 5)", "3 and 4"]),
        ["matmul transposed inner"] = (() => T(3, 2).MatMul(T(4, 5), transposeThis: true), ["(3, 2)", "(4, 5)"]),
        ["matmul batch"] = (() => T(2, 3, 4).MatMul(T(3, 4, 5)), ["(2, 3, 4)", "(3, 4, 5)"]),
        ["matmul rank"] = (() => T(3).MatMul(T(3, 2)), ["(3,)", "(3, 2)"]),
        ["add broadcast"] = (() => _ = T(2, 3) + T(4, 3), ["(2, 3)", "(4, 3)"]),
        ["pow broadcast"] = (() => T(2, 3).Pow(T(2)), ["(2, 3)", "(2,)"]),
        ["reshape"] = (() => T(2, 3).Reshape(4, 2), ["(2, 3)", "(4, 2)"]),
        ["reshape inferred"] = (() => T(2, 3).Reshape(4, -1), ["(2, 3)"]),
        ["concat"] = (() => Tensor.Concat(T(2, 3), T(3, 4), 0), ["(2, 3)", "(3, 4)"]),
        ["linear weight"] = (() => Tensor.Linear(T(2, 3), T(4, 5), null), ["(2, 3)", "(4, 5)"]),
        ["linear bias"] = (() => Tensor.Linear(T(2, 3), T(3, 5), T(4)), ["(4,)", "(3, 5)"]),
        ["where"] = (() => Tensor.Where(T(2, 3), T(2, 3), T(3, 2)), ["(2, 3)", "(3, 2)"]),
        ["layernorm gamma"] = (() => T(2, 3).LayerNorm(T(4), null), ["(4,)", "(2, 3)"]),
        ["sum axis"] = (() => T(2, 3).Sum(2), ["(2, 3)", "2"]),
        ["softmax axis"] = (() => T(2, 3).Softmax(-3), ["(2, 3)", "-3"]),
        ["split sizes"] = (() => T(2, 5).Split(1, 2, 2), ["(2, 5)", "2, 2"]),
        ["broadcast-to"] = (() => T(2, 3).BroadcastTo(new Shape(4, 3)), ["(2, 3)", "(4, 3)"]),
        ["permute"] = (() => T(2, 3, 4).Permute(0, 0, 1), ["(2, 3, 4)"]),
        ["slice"] = (() => T(2, 3).Slice(1, 2, 2), ["(2, 3)", "[2, 4)"]),
        ["index-select"] = (() => T(2, 3).IndexSelect(1, [0, 3]), ["(2, 3)", "3"]),
        ["from-array"] = (() => Tensor.FromArray([1f, 2f, 3f], 2, 2), ["(2, 2)", "3 values"]),
        ["item"] = (() => T(2, 3).Item(), ["(2, 3)"]),
        ["backward non-scalar"] = (() =>
        {
            var x = T(2, 3);
            x.RequiresGrad = true;
            var tape = new Tape();
            using (tape.Record()) tape.Backward(x.Exp());
        }, ["(2, 3)"]),
    };

    public static TheoryData<string> Names => new(s_cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void Op_MismatchedShapes_ThrowsArgumentExceptionNamingShapes(string name)
    {
        var (act, expected) = s_cases[name];

        var ex = Record.Exception(act);

        Assert.NotNull(ex);
        Assert.True(ex is ArgumentException or InvalidOperationException, $"{name}: {ex.GetType().Name}: {ex.Message}");
        foreach (string part in expected)
            Assert.Contains(part, ex.Message, StringComparison.Ordinal);
    }
}
