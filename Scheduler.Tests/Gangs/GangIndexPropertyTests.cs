using System.Collections.Immutable;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Tests.Gangs;

/// <summary>
/// The incremental index must give, after any sequence of events, exactly what assembling the whole
/// cluster again gives: the live scheduler reads the index, whatif and the simulator the full assembly.
/// </summary>
public class GangIndexPropertyTests
{
    private static readonly string[] Names = ["quorum", "other"];
    private static readonly IReadOnlySet<string> Ours = new HashSet<string> { "quorum" };

    /// <summary>The state both sides are fed: current pods, groups and topologies.</summary>
    private sealed class World
    {
        public Dictionary<ObjectKey, Pod> Pods { get; } = [];
        public Dictionary<ObjectKey, PodGroupSpec> Groups { get; } = [];
        public Dictionary<string, TopologySpec> Topologies { get; } = [];
        public TopologySpec? Find(string name) => Topologies.GetValueOrDefault(name);
    }

    [Test]
    public void The_index_equals_a_full_assembly_after_every_event([Range(0, 199)] int seed)
    {
        var random = new Random(seed);
        var world = new World();
        var index = new GangIndex(Ours, world.Find, "rack");
        var changedSince = new HashSet<GangIndex.GangId>();
        for (var step = 0; step < 60; step++)
        {
            Mutate(random, world, index);
            if (random.Next(3) == 0) changedSince.UnionWith(index.TakeChanged());
            if (random.Next(4) != 0) continue;
            var full = GangAssembler.Assemble(world.Groups.Values, world.Pods.Values, Ours, world.Find, "rack");
            Assert.That(Render(index.Assembled()), Is.EqualTo(Render(full)), $"seed {seed}, step {step}");
            Assert.That(index.PendingPods, Is.EqualTo(world.Pods.Values.Count(p => !p.Terminated && !p.IsBound && p.SchedulerName == "quorum")));
        }
        // Every gang whose answer differs from the start was reported as changed.
        changedSince.UnionWith(index.TakeChanged());
        var final = GangAssembler.Assemble(world.Groups.Values, world.Pods.Values, Ours, world.Find, "rack");
        foreach (var r in final.Ready)
            Assert.That(changedSince.Any(c => c.Key == r.Key), $"seed {seed}: {r.Key} is ready but was never reported changed");
    }

    [Test]
    public void A_bound_group_is_reported_changed_when_its_members_change_though_it_has_nothing_to_try()
    {
        var world = new World();
        var index = new GangIndex(Ours, world.Find, null);
        index.SetGroup(new PodGroupSpec(new ObjectKey("ml", "job")) { MinMember = 1 });
        var pod = new Pod(new ObjectKey("ml", "w0"), ResourceVector.Zero) { Group = new GroupMembership("job", null), SchedulerName = "quorum", NodeName = "n1" };
        index.SetPod(pod);
        index.TakeChanged();
        index.SetPod(pod with { Running = true });
        Assert.That(index.TakeChanged(), Is.EqualTo(new[] { new GangIndex.GangId(new ObjectKey("ml", "job"), true) }));
        Assert.That(index.MembersOf(new ObjectKey("ml", "job")).Single().Running, Is.True);
    }

    [Test]
    public void A_topology_change_revalidates_only_the_groups_that_use_it()
    {
        var world = new World();
        var index = new GangIndex(Ours, world.Find, "rack");
        var usesRack = new PodGroupSpec(new ObjectKey("ml", "a")) { MinMember = 1, TopologyConstraint = new TopologyConstraint(RequiredTopologyLevel: "rack") };
        var plain = new PodGroupSpec(new ObjectKey("ml", "b")) { MinMember = 1 };
        index.SetGroup(usesRack);
        index.SetGroup(plain);
        index.SetPod(new Pod(new ObjectKey("ml", "a0"), ResourceVector.Zero) { Group = new GroupMembership("a", null), SchedulerName = "quorum" });
        index.SetPod(new Pod(new ObjectKey("ml", "b0"), ResourceVector.Zero) { Group = new GroupMembership("b", null), SchedulerName = "quorum" });
        Assert.That(index.Assembled().Refused.Select(r => r.Group.Name), Is.EqualTo(new[] { "a" }), "its topology does not exist yet");
        index.TakeChanged();

        world.Topologies["rack"] = new TopologySpec("rack", ["rack"]);
        index.TopologyChanged("rack");
        Assert.That(index.TakeChanged().Select(c => c.Key.Name), Is.EqualTo(new[] { "a" }));
        Assert.That(index.Assembled().Ready.Select(r => r.Key.Name).Order(), Is.EqualTo(new[] { "a", "b" }));
    }

    private static void Mutate(Random random, World world, GangIndex index)
    {
        var podName = $"p{random.Next(12)}";
        var groupName = $"g{random.Next(4)}";
        switch (random.Next(10))
        {
            case < 5:
            {
                var key = new ObjectKey(random.Next(4) == 0 ? "b" : "a", podName);
                var grouped = random.Next(3) != 0;
                var pod = new Pod(key, new ResourceVector(0, 0, random.Next(3), 0))
                {
                    SchedulerName = Names[random.Next(4) == 0 ? 1 : 0],
                    NodeName = random.Next(3) == 0 ? "n1" : null,
                    SchedulingGated = random.Next(5) == 0,
                    Terminated = random.Next(10) == 0,
                    Running = random.Next(4) == 0,
                    Group = grouped ? new GroupMembership(groupName, random.Next(3) switch { 0 => "decode", 1 => "missing", _ => null }) : null,
                    CreationTimestamp = DateTimeOffset.UnixEpoch.AddSeconds(random.Next(100)),
                };
                if (pod.Terminated) world.Pods.Remove(key);
                else world.Pods[key] = pod;
                index.SetPod(pod);
                break;
            }
            case 5:
            {
                var key = world.Pods.Keys.OrderBy(k => k, ObjectKey.Ordinal).ElementAtOrDefault(random.Next(Math.Max(1, world.Pods.Count)));
                if (key == default) break;
                world.Pods.Remove(key);
                index.RemovePod(key);
                break;
            }
            case < 9:
            {
                var key = new ObjectKey(random.Next(4) == 0 ? "b" : "a", groupName);
                PodGroupSpec spec = random.Next(3) switch
                {
                    0 => new PodGroupSpec(key) { MinMember = random.Next(0, 3) },
                    1 => new PodGroupSpec(key)
                    {
                        MinSubGroup = 1,
                        SubGroups = [new SubGroupSpec("decode", MinMember: 1 + random.Next(2))],
                        TopologyConstraint = random.Next(2) == 0 ? new TopologyConstraint(RequiredTopologyLevel: "rack") : null,
                    },
                    _ => new PodGroupSpec(key) { MinMember = 1, TopologyConstraint = new TopologyConstraint(Topology: "zones", PreferredTopologyLevel: "zone") },
                };
                world.Groups[key] = spec;
                index.SetGroup(spec);
                if (random.Next(4) != 0) break;
                world.Groups.Remove(key);
                index.RemoveGroup(key);
                break;
            }
            default:
            {
                var name = random.Next(2) == 0 ? "rack" : "zones";
                if (world.Topologies.Remove(name) is false)
                    world.Topologies[name] = new TopologySpec(name, name == "rack" ? ["rack"] : ["zone"]);
                index.TopologyChanged(name);
                break;
            }
        }
    }

    private static string Render(AssembledGangs a) => string.Join("\n",
    [
        .. a.Ready.Select(r => $"ready {r.Key} [{string.Join(",", r.Members.Select(m => $"{m.Key}@{m.NodeName}{(m.SchedulingGated ? "!" : "")}"))}] min {r.Tree.Root.MinMember}"),
        .. a.Refused.OrderBy(r => r.Group, ObjectKey.Ordinal).Select(r => $"refused {r.Group} {r.Code}: {r.Message} [{string.Join(",", r.Pods)}]"),
        .. a.RefusedPods.OrderBy(r => r.Pod, ObjectKey.Ordinal).Select(r => $"refused pod {r.Pod}: {r.Reason}"),
        $"groups {string.Join(",", a.PodGroupKeys.Order(ObjectKey.Ordinal))}",
    ]);
}
