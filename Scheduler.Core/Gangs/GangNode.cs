using System.Collections.Immutable;

namespace Quorum.Core.Gangs;

/// <summary>
/// One level of a validated gang: the group itself (root), a middle sub-group, or a leaf holding pods.
/// Depths refer to the gang's topology: 0 is the whole cluster, 1 the outermost level.
/// </summary>
public sealed class GangNode
{
    internal GangNode(string name, string path, int minMember, int minSubGroup, int requiredDepth, int preferredDepth)
    {
        Name = name;
        Path = path;
        MinMember = minMember;
        MinSubGroup = minSubGroup;
        RequiredDepth = requiredDepth;
        PreferredDepth = preferredDepth;
    }

    public string Name { get; }

    /// <summary>"prefill/prefill-0"; empty for the root.</summary>
    public string Path { get; }

    public GangNode? Parent { get; internal set; }
    public ImmutableArray<GangNode> Children { get; internal set; } = [];
    public bool IsLeaf => Children.IsEmpty;

    /// <summary>Pods a leaf needs (bound ones count).</summary>
    public int MinMember { get; }

    /// <summary>Children a middle group needs admitted.</summary>
    public int MinSubGroup { get; }

    /// <summary>Topology depth all placed pods must share a domain of; 0 when unconstrained.</summary>
    public int RequiredDepth { get; }

    /// <summary>Tighter depth to try first; 0 when none.</summary>
    public int PreferredDepth { get; }

    /// <summary>Index in <see cref="GangTree.Nodes"/>, for per-decision arrays.</summary>
    public int Index { get; internal set; }

    /// <summary>How this level is named in messages.</summary>
    public string DisplayName => DecisionText.Name(Path);

    public override string ToString() => DisplayName;
}
