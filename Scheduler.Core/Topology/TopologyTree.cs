using Quorum.Core.Model;

namespace Quorum.Core.Topology;

/// <summary>
/// The index of one topology over the nodes of a snapshot: a tree of domains (root → level 1 → … →
/// the innermost level), each keeping aggregate free capacity so placement can rule a domain out
/// without visiting its nodes. A node that lacks a level's label sits in that level's explicit
/// "unlabelled" domain, never dropped; such a domain never satisfies a required level
/// (<see cref="LabelledDownTo"/>).
/// </summary>
/// <remarks>
/// Domains and per-node contributions are stored as structs of arrays: an update walks one path
/// (O(levels)) and placement scans contiguous arrays. Children are kept sorted by label value, so
/// traversal order depends only on the cluster, not on the order events arrived in.
/// </remarks>
public sealed class TopologyTree
{
    /// <summary>Histogram buckets of nodes by free GPUs: 0…15 exactly, and one for 16 or more.</summary>
    public const int Buckets = 17;

    /// <summary>Rendered name of the domain of nodes without the level's label.</summary>
    public const string UnlabelledName = "<unlabelled>";

    private const int Root = 0;

    // Per domain.
    private readonly List<int> _parent = [];
    private readonly List<int> _depth = [];
    private readonly List<string?> _value = [];
    private readonly List<int> _unlabelledFrom = [];
    private readonly List<List<int>> _children = [];
    private readonly List<List<int>> _leafNodes = [];
    private readonly Dictionary<(int Parent, string? Value), int> _childIndex = [];
    private long[] _freeGpu = new long[16];
    private long[] _allocGpu = new long[16];
    private long[] _freeCpu = new long[16];
    private long[] _freeMem = new long[16];
    private int[] _nodeCount = new int[16];
    private int[] _hist = new int[16 * Buckets];

    // Per node slot (the snapshot's dense index).
    private int[] _leafOf = [];
    private long[] _nodeFreeGpu = [];
    private long[] _nodeAllocGpu = [];
    private long[] _nodeFreeCpu = [];
    private long[] _nodeFreeMem = [];
    private string[] _nodeName = [];

    public TopologyTree(TopologySpec spec)
    {
        Spec = spec;
        NewDomain(-1, null);
    }

    public TopologySpec Spec { get; }

    /// <summary>Depth of the innermost domains: the number of levels.</summary>
    public int Depth => Spec.Levels.Length;

    public int DomainCount => _parent.Count;

    public static int RootDomain => Root;

    // ---- Reads used by placement -------------------------------------------------------------

    /// <summary>0 for the root, 1 for the outermost level, …, <see cref="Depth"/> for the innermost.</summary>
    public int DepthOf(int domain) => _depth[domain];

    public IReadOnlyList<int> Children(int domain) => _children[domain];

    /// <summary>Node slots of an innermost domain, sorted by node name.</summary>
    public IReadOnlyList<int> NodesOf(int domain) => _leafNodes[domain];

    public int NodeCount(int domain) => _nodeCount[domain];
    public long FreeGpu(int domain) => _freeGpu[domain];
    public long AllocatableGpu(int domain) => _allocGpu[domain];
    public long FreeMilliCpu(int domain) => _freeCpu[domain];
    public long FreeMemory(int domain) => _freeMem[domain];
    public bool IsEmptyOfWork(int domain) => _freeGpu[domain] == _allocGpu[domain];

    /// <summary>
    /// True when the domain and its ancestors down to <paramref name="depth"/> all have a label value:
    /// the domain can stand for one domain of every level down to that depth.
    /// </summary>
    public bool LabelledDownTo(int domain, int depth) => _unlabelledFrom[domain] > depth;

    /// <summary>The outermost depth at which the domain's path lacks its label; int.MaxValue when none does.</summary>
    public int UnlabelledDepth(int domain) => _unlabelledFrom[domain];

    /// <summary>Every node slot inside a domain, innermost domains in label order, nodes by name.</summary>
    public IEnumerable<int> SlotsOf(int domain)
    {
        if (_depth[domain] == Depth)
        {
            foreach (var s in _leafNodes[domain]) yield return s;
            yield break;
        }
        foreach (var c in _children[domain])
            foreach (var s in SlotsOf(c)) yield return s;
    }

    /// <summary>Largest free GPU count on one node of the domain; long.MaxValue when some node has 16 or more.</summary>
    public long MaxNodeFreeGpu(int domain)
    {
        var row = domain * Buckets;
        if (_hist[row + Buckets - 1] > 0) return long.MaxValue;
        for (var b = Buckets - 2; b >= 0; b--)
            if (_hist[row + b] > 0) return b;
        return -1;
    }

    /// <summary>
    /// Upper bound on how many pods of <paramref name="gpusPerPod"/> GPUs the domain can take, from the
    /// histogram alone: exact on GPUs, so a domain below the bound can be skipped unvisited.
    /// </summary>
    public long MaxPodsByGpu(int domain, long gpusPerPod)
    {
        if (gpusPerPod <= 0) return long.MaxValue;
        var row = domain * Buckets;
        long pods = 0, counted = 0;
        for (var b = 1; b < Buckets - 1; b++)
        {
            var n = _hist[row + b];
            if (n == 0) continue;
            pods += n * (b / gpusPerPod);
            counted += (long)n * b;
        }
        // Nodes with 16+ free GPUs: at most what is left of the domain's free GPUs.
        if (_hist[row + Buckets - 1] > 0) pods += Math.Max(0, _freeGpu[domain] - counted) / gpusPerPod;
        return pods;
    }

    public long NodeFreeGpu(int slot) => _nodeFreeGpu[slot];

    public string NodeName(int slot) => _nodeName[slot];

    /// <summary>The innermost domain holding a node slot, or -1.</summary>
    public int LeafOf(int slot) => slot < _leafOf.Length ? _leafOf[slot] : -1;

    /// <summary>The ancestor of <paramref name="domain"/> at <paramref name="depth"/> (itself when already there or above).</summary>
    public int AncestorAt(int domain, int depth)
    {
        while (_depth[domain] > depth) domain = _parent[domain];
        return domain;
    }

    /// <summary>
    /// Domains at <paramref name="depth"/> inside <paramref name="scope"/>, holding nodes, in label order.
    /// Subtrees above that depth with fewer than <paramref name="minFreeGpu"/> free GPUs, or no node
    /// with <paramref name="minNodeFreeGpu"/> free, are skipped whole: none of their domains could qualify.
    /// </summary>
    public void DomainsAt(int scope, int depth, List<int> into, long minFreeGpu = 0, long minNodeFreeGpu = 0)
    {
        if (_nodeCount[scope] == 0) return;
        if (_depth[scope] >= depth) { into.Add(scope); return; }
        if (_freeGpu[scope] < minFreeGpu || (minNodeFreeGpu > 0 && MaxNodeFreeGpu(scope) < minNodeFreeGpu)) return;
        foreach (var c in _children[scope]) DomainsAt(c, depth, into, minFreeGpu, minNodeFreeGpu);
    }

    /// <summary>"block-a/clique-3": label values from the outermost level down.</summary>
    public string PathOf(int domain)
    {
        if (domain == Root) return "/";
        var parts = new Stack<string>();
        for (var d = domain; d != Root; d = _parent[d]) parts.Push(_value[d] ?? UnlabelledName);
        return string.Join('/', parts);
    }

    /// <summary>The label key of a depth (1-based), or "cluster" for the root.</summary>
    public string LevelName(int depth) => depth == 0 ? "cluster" : Spec.Levels[depth - 1];

    public DomainAggregate Aggregate(int domain)
    {
        var hist = new int[Buckets];
        Array.Copy(_hist, domain * Buckets, hist, 0, Buckets);
        return new DomainAggregate(PathOf(domain), _depth[domain], _nodeCount[domain], _freeGpu[domain], _allocGpu[domain],
            _freeCpu[domain], _freeMem[domain], MaxNodeFreeGpu(domain), hist);
    }

    /// <summary>Every domain that holds nodes, by path: what a rebuild from scratch must reproduce.</summary>
    public IEnumerable<DomainAggregate> NonEmptyDomains()
    {
        for (var d = 0; d < _parent.Count; d++)
            if (_nodeCount[d] > 0) yield return Aggregate(d);
    }

    // ---- Updates ------------------------------------------------------------------------------

    /// <summary>Adds, moves or updates a node; O(levels) plus the position in its innermost domain.</summary>
    public void Set(int slot, Node node, ResourceVector requested)
    {
        EnsureSlot(slot);
        var leaf = ResolveLeaf(node.Labels);
        var old = _leafOf[slot];
        if (old >= 0 && old != leaf) Remove(slot);
        var freeGpu = node.Allocatable.Gpu - requested.Gpu;
        var freeCpu = node.Allocatable.MilliCpu - requested.MilliCpu;
        var freeMem = node.Allocatable.Memory - requested.Memory;
        if (_leafOf[slot] < 0)
        {
            _leafOf[slot] = leaf;
            _nodeName[slot] = node.Name;
            InsertSorted(_leafNodes[leaf], slot);
            Apply(leaf, node.Allocatable.Gpu, freeGpu, freeCpu, freeMem, +1);
        }
        else
        {
            Apply(leaf, _nodeAllocGpu[slot], _nodeFreeGpu[slot], _nodeFreeCpu[slot], _nodeFreeMem[slot], -1);
            Apply(leaf, node.Allocatable.Gpu, freeGpu, freeCpu, freeMem, +1);
        }
        _nodeAllocGpu[slot] = node.Allocatable.Gpu;
        _nodeFreeGpu[slot] = freeGpu;
        _nodeFreeCpu[slot] = freeCpu;
        _nodeFreeMem[slot] = freeMem;
    }

    /// <summary>Takes a node out of the tree. Empty domains stay (an empty domain costs a few words).</summary>
    public void Remove(int slot)
    {
        if (slot >= _leafOf.Length || _leafOf[slot] < 0) return;
        var leaf = _leafOf[slot];
        Apply(leaf, _nodeAllocGpu[slot], _nodeFreeGpu[slot], _nodeFreeCpu[slot], _nodeFreeMem[slot], -1);
        var nodes = _leafNodes[leaf];
        nodes.RemoveAt(IndexInLeaf(nodes, slot));
        _leafOf[slot] = -1;
        _nodeFreeGpu[slot] = _nodeAllocGpu[slot] = _nodeFreeCpu[slot] = _nodeFreeMem[slot] = 0;
    }

    private void Apply(int leaf, long allocGpu, long freeGpu, long freeCpu, long freeMem, int sign)
    {
        var bucket = (int)Math.Clamp(freeGpu, 0, Buckets - 1);
        for (var d = leaf; d >= 0; d = _parent[d])
        {
            _nodeCount[d] += sign;
            _allocGpu[d] += sign * allocGpu;
            _freeGpu[d] += sign * freeGpu;
            _freeCpu[d] += sign * freeCpu;
            _freeMem[d] += sign * freeMem;
            _hist[d * Buckets + bucket] += sign;
        }
    }

    private int ResolveLeaf(IReadOnlyDictionary<string, string> labels)
    {
        var d = Root;
        foreach (var key in Spec.Levels)
        {
            string? value = labels.TryGetValue(key, out var v) ? v : null;
            if (!_childIndex.TryGetValue((d, value), out var child))
            {
                child = NewDomain(d, value);
                _childIndex[(d, value)] = child;
                var siblings = _children[d];
                var at = siblings.BinarySearch(child, Comparer<int>.Create((a, b) => CompareValues(_value[a], _value[b])));
                siblings.Insert(at < 0 ? ~at : at, child);
            }
            d = child;
        }
        return d;
    }

    private static int CompareValues(string? a, string? b) =>
        a is null ? (b is null ? 0 : 1) : b is null ? -1 : string.CompareOrdinal(a, b);

    private int NewDomain(int parent, string? value)
    {
        var id = _parent.Count;
        _parent.Add(parent);
        _depth.Add(parent < 0 ? 0 : _depth[parent] + 1);
        _value.Add(value);
        var depth = _depth[id];
        _unlabelledFrom.Add(parent < 0 ? int.MaxValue : _unlabelledFrom[parent] != int.MaxValue ? _unlabelledFrom[parent] : value is null ? depth : int.MaxValue);
        _children.Add([]);
        _leafNodes.Add([]);
        if (id >= _nodeCount.Length)
        {
            var n = _nodeCount.Length * 2;
            Array.Resize(ref _freeGpu, n);
            Array.Resize(ref _allocGpu, n);
            Array.Resize(ref _freeCpu, n);
            Array.Resize(ref _freeMem, n);
            Array.Resize(ref _nodeCount, n);
            Array.Resize(ref _hist, n * Buckets);
        }
        return id;
    }

    private void EnsureSlot(int slot)
    {
        if (slot < _leafOf.Length) return;
        var old = _leafOf.Length;
        var n = Math.Max(slot + 1, Math.Max(16, old * 2));
        Array.Resize(ref _leafOf, n);
        Array.Fill(_leafOf, -1, old, n - old);
        Array.Resize(ref _nodeFreeGpu, n);
        Array.Resize(ref _nodeAllocGpu, n);
        Array.Resize(ref _nodeFreeCpu, n);
        Array.Resize(ref _nodeFreeMem, n);
        Array.Resize(ref _nodeName, n);
    }

    private void InsertSorted(List<int> nodes, int slot)
    {
        var at = BinarySearchByName(nodes, _nodeName[slot]);
        nodes.Insert(at < 0 ? ~at : at, slot);
    }

    private int IndexInLeaf(List<int> nodes, int slot)
    {
        var at = BinarySearchByName(nodes, _nodeName[slot]);
        if (at < 0 || nodes[at] != slot) at = nodes.IndexOf(slot);
        return at;
    }

    private int BinarySearchByName(List<int> nodes, string name)
    {
        int lo = 0, hi = nodes.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = string.CompareOrdinal(_nodeName[nodes[mid]], name);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return ~lo;
    }
}
