using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Core.Framework;

/// <summary>
/// One level of a gang as the search is about to place it: what the domain filters and orders read.
/// Owned and reused by the search (one per decision), so filtering a level allocates nothing.
/// </summary>
public sealed class LevelContext
{
    internal LevelContext(TopologyTree tree) => Tree = tree;

    public TopologyTree Tree { get; }

    /// <summary>The (sub-)group being placed.</summary>
    public GangNode Level { get; internal set; } = null!;

    /// <summary>Depth of the domains being filtered.</summary>
    public int Depth { get; internal set; }

    /// <summary>What the level's minimum requests in all (bound members excluded).</summary>
    public ResourceVector Demand { get; internal set; }

    /// <summary>GPUs of the level's largest pod, and how many of its pods ask for that many.</summary>
    public long MaxPodGpu { get; internal set; }

    public int PodsOfMaxGpu { get; internal set; }
}
