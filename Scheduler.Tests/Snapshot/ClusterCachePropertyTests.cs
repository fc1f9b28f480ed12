using CsCheck;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Tests.Snapshot;

/// <summary>
/// After any sequence of events, the incrementally maintained snapshot (and its topology aggregates)
/// equals one rebuilt from scratch, requests equal the sum of the pods held, and nothing goes negative.
/// </summary>
public class ClusterCachePropertyTests
{
    private static readonly TopologySpec Topology = new("t", ["block", "clique", TopologySpec.HostnameLabel]);

    // op: 0 add/update node, 1 remove node, 2 bind pod, 3 remove pod, 4 assume, 5 forget, 6 snapshot, 7 terminate
    private static readonly Gen<(int Op, int Node, int Pod, int Gpus, int Label)> Event =
        Gen.Select(Gen.Int[0, 7], Gen.Int[0, 7], Gen.Int[0, 11], Gen.Int[0, 4], Gen.Int[0, 3]);

    private static Node MakeNode(int i, int label)
    {
        var labels = new Dictionary<string, string> { [TopologySpec.HostnameLabel] = $"n{i}" };
        if (label > 0) labels["block"] = $"b{label % 2}";
        if (label > 1) labels["clique"] = $"c{i % 3}";
        // Allocatable is fixed per node name, as the kubelet reports it.
        return new Node($"n{i}", new ResourceVector(8000, 64L << 30, 8, 6), labels);
    }

    [Test]
    public void Incremental_snapshot_equals_a_rebuild_after_any_event_sequence()
    {
        Event.List[1, 80].Sample(events =>
        {
            var cache = new ClusterCache(options: new CacheOptions { DeletionLogLength = 4 });
            cache.SetTopology(Topology);
            var incremental = new ClusterSnapshot();
            // Model: what pods the cluster has bound or assumed, on which node.
            var model = new Dictionary<ObjectKey, (string Node, long Gpus, bool Assumed)>();
            foreach (var (op, n, p, gpus, label) in events)
            {
                var key = new ObjectKey("ns", $"p{p}");
                var pod = new Pod(key, new ResourceVector(500, 1L << 30, gpus, 0));
                switch (op)
                {
                    case 0: cache.AddOrUpdateNode(MakeNode(n, label)); break;
                    case 1: cache.RemoveNode($"n{n}"); break;
                    case 2:
                        if (model.TryGetValue(key, out var m) && !m.Assumed) break; // nodeName is immutable once bound
                        if (!FitsInModel(model, cache, $"n{n}", gpus, key)) break;
                        cache.AddOrUpdatePod(pod with { NodeName = $"n{n}" });
                        model[key] = ($"n{n}", gpus, false);
                        break;
                    case 3:
                        cache.RemovePod(key);
                        model.Remove(key);
                        break;
                    case 4:
                        if (model.ContainsKey(key) || cache.FindNode($"n{n}") is null || !FitsInModel(model, cache, $"n{n}", gpus, key)) break;
                        Assert.That(cache.AssumePod(pod, $"n{n}").Outcome, Is.EqualTo(CacheOutcome.Applied));
                        model[key] = ($"n{n}", gpus, true);
                        break;
                    case 5:
                        if (cache.ForgetPod(key).Outcome == CacheOutcome.Applied) model.Remove(key);
                        break;
                    case 6: cache.UpdateSnapshot(incremental); break;
                    case 7:
                        if (model.TryGetValue(key, out var t) && !t.Assumed)
                        {
                            cache.AddOrUpdatePod(pod with { NodeName = t.Node, Terminated = true });
                            model.Remove(key);
                        }
                        break;
                }
            }
            cache.UpdateSnapshot(incremental);
            var rebuilt = new ClusterSnapshot();
            cache.UpdateSnapshot(rebuilt);

            // No pod lost or double counted; nothing negative.
            Assert.That(cache.PodCount, Is.EqualTo(model.Count));
            foreach (var node in rebuilt.Nodes)
            {
                var expected = model.Values.Where(v => v.Node == node.Name).Sum(v => v.Gpus);
                Assert.That(node.Requested.Gpu, Is.EqualTo(expected), node.Name);
                Assert.That(node.Free.AnyNegative, Is.False, node.Name);
            }
            // Incremental equals rebuilt.
            Assert.That(Describe(incremental), Is.EqualTo(Describe(rebuilt)));
            foreach (var name in new[] { "t", "" })
                Assert.That(Aggregates(incremental.Tree(name)!), Is.EqualTo(Aggregates(rebuilt.Tree(name)!)));
        }, iter: 400);
    }

    private static bool FitsInModel(Dictionary<ObjectKey, (string Node, long Gpus, bool Assumed)> model, ClusterCache cache,
        string node, long gpus, ObjectKey except)
    {
        var used = model.Where(kv => kv.Key != except && kv.Value.Node == node).ToList();
        // A real kubelet admits only pods that fit: 8 GPUs, 6 pod slots, 16 half-cores.
        return cache.FindNode(node) is not null && used.Sum(u => u.Value.Gpus) + gpus <= 8 && used.Count < 6;
    }

    private static string Describe(ClusterSnapshot s) =>
        string.Join(";", s.Nodes.OrderBy(n => n.Name, StringComparer.Ordinal).Select(n => $"{n.Name}:{n.Requested}:{string.Join(',', n.Node.Labels.OrderBy(l => l.Key))}"));

    private static string Aggregates(TopologyTree t) =>
        string.Join("\n", t.NonEmptyDomains().OrderBy(d => d.Path, StringComparer.Ordinal)
            .Select(d => $"{d.Path} n={d.NodeCount} free={d.FreeGpu}/{d.AllocatableGpu} cpu={d.FreeMilliCpu} mem={d.FreeMemory} max={d.MaxNodeFreeGpu} h={string.Join(',', d.NodesByFreeGpu)}"));
}
