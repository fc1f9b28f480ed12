using System.Collections.Immutable;

namespace Quorum.Core.Gangs;

/// <summary>A PodGroup validated into a tree, with its topology resolved. Immutable; built by <see cref="PodGroupValidator"/>.</summary>
public sealed class GangTree
{
    internal GangTree(PodGroupSpec spec, GangNode root, ImmutableArray<GangNode> nodes, string? topology)
    {
        Spec = spec;
        Root = root;
        Nodes = nodes;
        Topology = topology;
        Leaves = nodes.Where(n => n.IsLeaf).ToImmutableDictionary(n => n.Name, StringComparer.Ordinal);
    }

    public PodGroupSpec Spec { get; }
    public GangNode Root { get; }

    /// <summary>Every level, root first, parents before children.</summary>
    public ImmutableArray<GangNode> Nodes { get; }

    /// <summary>Leaves by sub-group name (the root when the group has no sub-groups, under its own key "").</summary>
    public ImmutableDictionary<string, GangNode> Leaves { get; }

    /// <summary>Topology the constraints refer to; null when the group has none.</summary>
    public string? Topology { get; }

    /// <summary>The leaf a pod labelled with <paramref name="subGroup"/> belongs to, or null.</summary>
    public GangNode? LeafFor(string? subGroup) =>
        Root.IsLeaf ? (string.IsNullOrEmpty(subGroup) ? Root : null)
        : subGroup is not null && Leaves.TryGetValue(subGroup, out var leaf) ? leaf : null;
}
