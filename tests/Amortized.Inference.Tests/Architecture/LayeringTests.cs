using System.Reflection;
using System.Reflection.Emit;
using Amortized.Inference.Workflows;
using Xunit;

namespace Amortized.Inference.Tests.Architecture;

/// <summary>
/// The folders of Amortized.Inference form one stack: a folder may use the folders below it, never one above. The
/// check reads the compiled assembly, not the source: every type's base, interfaces, fields, properties, method
/// signatures and the members its method bodies touch (IL tokens), compiler-generated closures included.
/// </summary>
public class LayeringTests
{
    /// <summary>The layers bottom-up; the root namespace holds the stream registry that every layer may use.</summary>
    private static readonly string[] s_layers =
    [
        "Amortized.Inference",
        "Amortized.Inference.Simulators",
        "Amortized.Inference.Distributions",
        "Amortized.Inference.Adapters",
        "Amortized.Inference.FileFormats",
        "Amortized.Inference.External",
        "Amortized.Inference.Diagnostics",
        "Amortized.Inference.Approximators",
        "Amortized.Inference.Tasks",
        "Amortized.Inference.Serialization",
        "Amortized.Inference.Workflows",
    ];

    private static readonly Assembly s_inference = typeof(BasicWorkflow).Assembly;

    [Fact]
    public void EveryNamespace_IsALayer()
    {
        var unknown = s_inference.GetTypes().Select(t => t.Namespace ?? "").Where(n => n.Length > 0)
            .Where(n => !s_layers.Contains(n)).Distinct().ToArray();
        Assert.True(unknown.Length == 0, $"namespaces outside the layer list: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void NoLayer_UsesALayerAboveIt()
    {
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (from, to, where) in References())
        {
            int a = Array.IndexOf(s_layers, from), b = Array.IndexOf(s_layers, to);
            if (a >= 0 && b > a) violations.Add($"{from} -> {to} ({where})");
        }
        Assert.True(violations.Count == 0, "upward references:\n" + string.Join("\n", violations.Take(40)));
    }

    [Fact]
    public void Scanner_SeesReferencesInMethodBodies()
    {
        // The trainer calls Checkpoint.Save only inside a method body: a scanner of signatures alone would miss it,
        // and this test would then pass for the wrong reason.
        Assert.Contains(References(), r => r.From == "Amortized.Inference.Workflows"
            && r.To == "Amortized.Inference.Serialization" && r.Where.StartsWith("Trainer", StringComparison.Ordinal));
    }

    private static IEnumerable<(string From, string To, string Where)> References()
    {
        foreach (var type in s_inference.GetTypes())
        {
            string? from = type.Namespace;
            if (from is null || !from.StartsWith("Amortized.Inference", StringComparison.Ordinal)) continue;
            foreach (var (used, member) in UsedTypes(type))
                if (used.Assembly == s_inference && used.Namespace is { } to && to != from)
                    yield return (from, to, $"{type.Name}.{member} uses {used.Name}");
        }
    }

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance
        | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static IEnumerable<(Type Type, string Member)> UsedTypes(Type type)
    {
        if (type.BaseType is { } b) foreach (var t in Expand(b)) yield return (t, "base");
        foreach (var i in type.GetInterfaces()) foreach (var t in Expand(i)) yield return (t, "interface");
        foreach (var f in type.GetFields(All)) foreach (var t in Expand(f.FieldType)) yield return (t, f.Name);
        foreach (var p in type.GetProperties(All)) foreach (var t in Expand(p.PropertyType)) yield return (t, p.Name);
        foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (m is MethodInfo mi) foreach (var t in Expand(mi.ReturnType)) yield return (t, m.Name);
            foreach (var p in m.GetParameters()) foreach (var t in Expand(p.ParameterType)) yield return (t, m.Name);
            foreach (var used in BodyTypes(m)) foreach (var t in Expand(used)) yield return (t, m.Name);
        }
    }

    /// <summary>The type, its element type and its generic arguments, recursively.</summary>
    private static IEnumerable<Type> Expand(Type type)
    {
        if (type.IsGenericParameter) yield break;
        if (type.HasElementType)
        {
            foreach (var t in Expand(type.GetElementType()!)) yield return t;
            yield break;
        }
        yield return type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (type.IsGenericType) foreach (var a in type.GetGenericArguments()) foreach (var t in Expand(a)) yield return t;
    }

    private static readonly Dictionary<short, OpCode> s_opCodes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The declaring types of every type, method and field token in <paramref name="method"/>'s IL.</summary>
    private static IEnumerable<Type> BodyTypes(MethodBase method)
    {
        byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int pos = 0;
        while (pos < il.Length)
        {
            short value = il[pos] == 0xFE ? (short)(0xFE00 | il[pos + 1]) : il[pos];
            pos += il[pos] == 0xFE ? 2 : 1;
            OpCode op = s_opCodes[value];
            switch (op.OperandType)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: pos += 1; break;
                case OperandType.InlineVar: pos += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: pos += 8; break;
                case OperandType.InlineSwitch: pos += 4 + 4 * BitConverter.ToInt32(il, pos); break;
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                    MemberInfo? member = null;
                    try { member = method.Module.ResolveMember(BitConverter.ToInt32(il, pos), typeArgs, methodArgs); }
                    catch (ArgumentException) { }   // a token of another generic context: its signature types are seen elsewhere
                    pos += 4;
                    if (member is Type t) yield return t;
                    else if (member?.DeclaringType is { } declaring) yield return declaring;
                    if (member is MethodInfo called) yield return called.ReturnType;
                    if (member is FieldInfo field) yield return field.FieldType;
                    break;
                default: pos += 4; break;   // InlineBrTarget, InlineI, ShortInlineR, InlineSig, InlineString
            }
        }
    }
}
