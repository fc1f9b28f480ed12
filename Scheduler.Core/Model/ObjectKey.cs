namespace Quorum.Core.Model;

/// <summary>namespace/name of a namespaced object.</summary>
public readonly record struct ObjectKey(string Namespace, string Name)
{
    /// <summary>Ordinal order by namespace, then name: the tie-break everywhere determinism matters.</summary>
    public static IComparer<ObjectKey> Ordinal { get; } = Comparer<ObjectKey>.Create((a, b) =>
    {
        var c = string.CompareOrdinal(a.Namespace, b.Namespace);
        return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
    });

    public override string ToString() => $"{Namespace}/{Name}";
}
