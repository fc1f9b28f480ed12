using Quorum.Core.Gangs;
using Quorum.Core.Model;

namespace Quorum.Benchmarks.Simulation;

/// <summary>
/// A workload while one scheduler simulates it: its validated tree, its pods as the scheduler sees
/// them (bound ones carry their node), and how many are bound per leaf, so "is the minimum of every
/// level running?" is answered the same way for every scheduler.
/// </summary>
public sealed class GroupState
{
    private readonly Dictionary<ObjectKey, int> _index;
    private readonly GangNode?[] _leafOf;
    private readonly int[] _boundPerNode;

    public GroupState(Workload workload, GangTree tree)
    {
        Workload = workload;
        Tree = tree;
        Members = [.. workload.Pods];
        _index = new Dictionary<ObjectKey, int>(Members.Length);
        _leafOf = new GangNode?[Members.Length];
        _boundPerNode = new int[tree.Nodes.Length];
        for (var i = 0; i < Members.Length; i++)
        {
            _index[Members[i].Key] = i;
            _leafOf[i] = tree.LeafFor(Members[i].Group?.SubGroup);
        }
    }

    public Workload Workload { get; }
    public GangTree Tree { get; }

    /// <summary>Current pods: pending as generated, bound ones replaced by their copy with NodeName set.</summary>
    public Pod[] Members { get; }

    public int Bound { get; private set; }
    public long BoundGpus { get; private set; }
    public bool HasPending => Bound < Members.Length;

    /// <summary>Every level's minimum runs: the group has started (Quorum: admitted).</summary>
    public bool Started { get; set; }

    public int IndexOf(ObjectKey pod) => _index[pod];

    public void MarkBound(int index, Pod bound)
    {
        Members[index] = bound;
        Bound++;
        BoundGpus += bound.Requests.Gpu;
        for (var g = _leafOf[index]; g is not null; g = g.Parent) _boundPerNode[g.Index]++;
    }

    /// <summary>True when every level's minimum is met by bound pods alone.</summary>
    public bool MinimumMet() => Met(Tree.Root);

    private bool Met(GangNode g)
    {
        if (g.IsLeaf) return _boundPerNode[g.Index] >= g.MinMember;
        var met = 0;
        foreach (var c in g.Children)
            if (Met(c)) met++;
        return met >= g.MinSubGroup;
    }
}
