using System.Text.Json;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using Quorum.Cli;
using Quorum.Kubernetes;
using Quorum.Tests.ApiServerTests;

namespace Quorum.Tests.Manifests;

/// <summary>
/// manifests/examples: each workload names, in its header, the whatif command that tries it on the
/// sample cluster beside it; that exact command admits it whole, with every required topology level
/// honoured; and an API server with the CRDs installed accepts every shipped PodGroup and Topology.
/// </summary>
public class ExampleTests : StandInFixture
{
    private static IEnumerable<string> Workloads() =>
        Directory.EnumerateFiles(ShippedManifests.Examples, "*.yaml").Where(f => !f.EndsWith("-cluster.yaml", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    private static string? Label(V1Pod pod, string key) => pod.Metadata.Labels is { } labels && labels.TryGetValue(key, out var v) ? v : null;

    private static IEnumerable<TestCaseData> WorkloadCases() => Workloads().Select(f => new TestCaseData(f).SetArgDisplayNames(Path.GetFileName(f)));

    /// <summary>The -f files of the header's "whatif" line, relative to the repository root as the comment says.</summary>
    private static List<string> WhatIfFiles(string workload)
    {
        var line = File.ReadLines(workload).TakeWhile(l => l.StartsWith('#')).FirstOrDefault(l => l.Contains(" whatif ", StringComparison.Ordinal))
            ?? throw new AssertionException($"{Path.GetFileName(workload)}: no whatif command in the header comment");
        return Regex.Matches(line, @"-f (\S+)").Select(m => Path.Combine(TestPaths.RepoRoot, m.Groups[1].Value)).ToList();
    }

    [TestCaseSource(nameof(WorkloadCases))]
    public void Every_example_is_admitted_whole_by_the_whatif_command_in_its_header(string workload)
    {
        var files = WhatIfFiles(workload);
        Assert.That(files.Select(Path.GetFullPath), Does.Contain(Path.GetFullPath(workload)));
        var cluster = files.Where(f => f.EndsWith("-cluster.yaml", StringComparison.Ordinal)).ToList();
        Assert.That(cluster.Select(Path.GetDirectoryName), Is.EqualTo(new[] { ShippedManifests.Examples }), "one sample cluster, shipped beside the example");

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = WhatIfCommand.Run([.. files.SelectMany(f => new[] { "-f", f }), "-o", "json"], stdout, stderr);
        Assert.That(code, Is.EqualTo(0), stderr.ToString());
        var report = JsonSerializer.Deserialize<WhatIfReport>(stdout.ToString())!;

        var manifests = ManifestReader.ReadFiles([workload]);
        Assert.That(report.Groups.Select(g => $"{g.Namespace}/{g.Name}"), Is.EquivalentTo(manifests.PodGroups.Select(g => $"{g.Metadata.NamespaceProperty}/{g.Metadata.Name}")));
        Assert.That(report.Groups.Where(g => !g.Admitted).Select(g => $"{g.Name}: {g.Reason}"), Is.Empty);
        Assert.That(report.Pods.Select(p => p.Name), Is.EquivalentTo(manifests.Pods.Select(p => p.Metadata.Name)), "every pod of the example was scheduled");
        Assert.That(report.Pods.Where(p => p.Node is null).Select(p => $"{p.Name}: {p.Reason}"), Is.Empty);

        // What the comments promise: every required level holds all of its (sub-)group's pods in one domain.
        var nodes = ManifestReader.ReadFiles(cluster).Nodes.ToDictionary(n => n.Metadata.Name);
        var nodeOf = report.Pods.ToDictionary(p => p.Name, p => nodes[p.Node!]);
        foreach (var group in manifests.PodGroups)
        {
            var members = manifests.Pods.Where(p => Label(p, WellKnown.PodGroupLabel) == group.Metadata.Name).ToList();
            var subGroups = group.Spec?.SubGroups ?? [];
            bool Under(string? leaf, string ancestor) =>
                leaf == ancestor || (subGroups.FirstOrDefault(s => s.Name == leaf)?.Parent is { } parent && Under(parent, ancestor));
            var constrained = new List<(string Name, string? Level, IEnumerable<V1Pod> Pods)>
            {
                (group.Metadata.Name, group.Spec?.TopologyConstraint?.RequiredTopologyLevel, members),
            };
            constrained.AddRange(subGroups.Select(s => (s.Name!, s.TopologyConstraint?.RequiredTopologyLevel,
                members.Where(p => Under(Label(p, WellKnown.SubGroupLabel), s.Name!)))));
            foreach (var (name, level, pods) in constrained.Where(c => c.Level is not null))
            {
                var domains = pods.Select(p => nodeOf[p.Metadata.Name].Metadata.Labels[level!]).Distinct().ToList();
                Assert.That(domains, Has.Count.EqualTo(1), $"{name}: all pods in one {level}");
            }
        }
    }

    [Test]
    public void The_GB200_sample_topology_has_the_installed_default_s_levels()
    {
        // The GB200 example says deleting its topology: line changes nothing on a cluster.
        static IEnumerable<string?> Levels(TopologyResource t) => t.Spec!.Levels!.Select(l => l.NodeLabel);
        var sample = ManifestReader.ReadFiles([Path.Combine(ShippedManifests.Examples, "gb200-nvl72-cluster.yaml")]).Topologies.Single();
        Assert.That(Levels(sample), Is.EqualTo(Levels(ShippedManifests.Installed().OfType<TopologyResource>().Single(t => t.Metadata.Name == "default"))));
    }

    [Test]
    public async Task An_API_server_with_the_CRDs_installed_accepts_every_shipped_PodGroup_and_Topology()
    {
        // The stand-in validates custom resources with the CRDs' schemas and CEL rules, as kube-apiserver does.
        var created = 0;
        foreach (var file in ShippedManifests.ObjectFiles().Where(f => !f.Contains($"{Path.DirectorySeparatorChar}crds{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            foreach (var o in ShippedManifests.Parse(File.ReadAllText(file)))
            {
                switch (o)
                {
                    case PodGroupResource g:
                        if (Api.Get<V1Namespace>(g.Metadata.NamespaceProperty) is null) Api.Put(Objects.Namespace(g.Metadata.NamespaceProperty));
                        await Client.CustomObjects.CreateNamespacedCustomObjectAsync(g, PodGroupResource.ApiGroup, PodGroupResource.Version, g.Metadata.NamespaceProperty, "podgroups");
                        created++;
                        break;
                    case TopologyResource t:
                        // The same name may ship twice (a sample cluster's and another's): each must pass on its own.
                        if (Api.Get<TopologyResource>(t.Metadata.Name) is not null) Api.Remove<TopologyResource>(t.Metadata.Name);
                        await Client.CustomObjects.CreateClusterCustomObjectAsync(t, PodGroupResource.ApiGroup, PodGroupResource.Version, "topologies");
                        created++;
                        break;
                }
            }
        }
        Assert.That(created, Is.GreaterThanOrEqualTo(6), "3 PodGroups, the default Topology and the two sample clusters' Topologies at least");
    }

    [Test]
    public async Task An_example_broken_against_a_CEL_rule_is_refused_with_the_rule_s_message()
    {
        var example = ShippedManifests.Parse(File.ReadAllText(Path.Combine(ShippedManifests.Examples, "disagg-inference-hgx.yaml"))).OfType<PodGroupResource>().Single();
        example.Spec!.MinMember = 9; // beside minSubGroup: passes the OpenAPI schema, not the CEL rules
        Api.Put(Objects.Namespace(example.Metadata.NamespaceProperty));
        var status = await ApiAssert.FailsAsync(() =>
            Client.CustomObjects.CreateNamespacedCustomObjectAsync(example, PodGroupResource.ApiGroup, PodGroupResource.Version, example.Metadata.NamespaceProperty, "podgroups"));
        Assert.That(status.Code, Is.EqualTo(422));
        Assert.That(status.Message, Does.Contain("set minMember (pods) or minSubGroup (sub-groups), never both"));
    }
}
