using System.Text.Json;
using Quorum.Cli;

namespace Quorum.Tests.Cli;

public class WhatIfCommandTests
{
    private static readonly string Examples = Path.Combine(TestPaths.RepoRoot, "manifests", "examples");

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = WhatIfCommand.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private static string Temp(string yaml)
    {
        var path = Path.Combine(Path.GetTempPath(), $"quorum-whatif-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Test]
    public void The_GB200_example_is_admitted_and_printed_as_the_documented_json()
    {
        var (code, stdout, stderr) = Run("-f", Path.Combine(Examples, "gb200-nvl72-cluster.yaml"), "-f", Path.Combine(Examples, "disagg-inference-gb200.yaml"), "-o", "json");
        Assert.That(code, Is.EqualTo(0), stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.That(root.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "groups", "pods" }));
        var group = root.GetProperty("groups")[0];
        Assert.That(group.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "namespace", "name", "admitted", "reason" }));
        Assert.That(group.GetProperty("admitted").GetBoolean(), Is.True);
        Assert.That(group.GetProperty("reason").ValueKind, Is.EqualTo(JsonValueKind.Null));
        var pods = root.GetProperty("pods").EnumerateArray().ToList();
        Assert.That(pods, Has.Count.EqualTo(13));
        Assert.That(pods[0].EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "namespace", "name", "node", "reason" }));
        var prefill0 = pods.Where(p => p.GetProperty("name").GetString()!.StartsWith("llama-prefill-0-", StringComparison.Ordinal))
            .Select(p => p.GetProperty("node").GetString()!).ToList();
        Assert.That(prefill0.Select(n => n[..^4]).Distinct().Count(), Is.EqualTo(1), "one prefill replica = one NVLink domain (rack)");
    }

    [Test]
    public void A_gang_that_does_not_fit_is_reported_with_null_nodes()
    {
        var cluster = Temp("""
            apiVersion: v1
            kind: Node
            metadata: {name: n1, labels: {kubernetes.io/hostname: n1}}
            status: {allocatable: {cpu: "8", memory: 64Gi, nvidia.com/gpu: "8", pods: "110"}}
            """);
        var work = Temp("""
            apiVersion: scheduling.quorum.dev/v1alpha1
            kind: PodGroup
            metadata: {name: job, namespace: ml}
            spec: {minMember: 2}
            ---
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Pod
              metadata: {name: w0, namespace: ml, labels: {scheduling.quorum.dev/pod-group: job}}
              spec: {schedulerName: quorum, containers: [{name: c, resources: {requests: {nvidia.com/gpu: "8"}}}]}
            - apiVersion: v1
              kind: Pod
              metadata: {name: w1, namespace: ml, labels: {scheduling.quorum.dev/pod-group: job}}
              spec: {schedulerName: quorum, containers: [{name: c, resources: {limits: {nvidia.com/gpu: "8"}}}]}
            - apiVersion: v1
              kind: Pod
              metadata: {name: other, namespace: ml}
              spec: {schedulerName: default-scheduler, containers: [{name: c}]}
            """);
        var (code, stdout, stderr) = Run("-f", cluster, "-f", work, "-o", "json");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout.Trim(), Is.EqualTo(
            """{"groups":[{"namespace":"ml","name":"job","admitted":false,"reason":"group needs 2 pods × 8 nvidia.com/gpu in the cluster; the cluster fits 1"}],"pods":[{"namespace":"ml","name":"w0","node":null,"reason":"group needs 2 pods × 8 nvidia.com/gpu in the cluster; the cluster fits 1"},{"namespace":"ml","name":"w1","node":null,"reason":"group needs 2 pods × 8 nvidia.com/gpu in the cluster; the cluster fits 1"}]}"""));
    }

    [TestCase("status: {allocatable: {cpu: \"lots\"}}", "Node n1: status.allocatable.cpu: \"lots\" is not a valid quantity")]
    [TestCase("spec: {taints: [{key: gpu, effect: Sometimes}]}", "Node n1: spec.taints[0].effect: \"Sometimes\" is not one of")]
    public void Malformed_nodes_exit_2_naming_object_and_field(string extra, string expected)
    {
        var file = Temp($"apiVersion: v1\nkind: Node\nmetadata: {{name: n1}}\n{extra}\n");
        var (code, _, stderr) = Run("-f", file);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain(expected));
    }

    [Test]
    public void An_invalid_PodGroup_exits_2_naming_the_field()
    {
        var file = Temp("""
            apiVersion: scheduling.quorum.dev/v1alpha1
            kind: PodGroup
            metadata: {name: bad, namespace: ml}
            spec:
              subGroups:
                - {name: a, parent: ghost}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: p, namespace: ml, labels: {scheduling.quorum.dev/pod-group: bad, scheduling.quorum.dev/sub-group: a}}
            spec: {schedulerName: quorum, containers: [{name: c}]}
            """);
        var (code, _, stderr) = Run("-f", file);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("PodGroup ml/bad: spec.subGroups[0].parent: unknown sub-group \"ghost\""));
    }

    [Test]
    public void Yaml_that_is_not_yaml_exits_2_with_the_position()
    {
        var (code, _, stderr) = Run("-f", Temp("kind: [unclosed\n"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("not valid YAML at line"));
    }

    [Test]
    public void A_pod_naming_a_missing_group_is_reported_not_dropped()
    {
        var file = Temp("""
            apiVersion: v1
            kind: Node
            metadata: {name: n1}
            status: {allocatable: {cpu: "8", memory: 64Gi, pods: "110"}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: p, namespace: ml, labels: {scheduling.quorum.dev/pod-group: nowhere}}
            spec: {schedulerName: quorum, containers: [{name: c}]}
            """);
        var (code, stdout, _) = Run("-f", file, "-o", "json");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("\"node\":null,\"reason\":\"PodGroup nowhere does not exist in namespace ml\""));
    }

    [Test]
    public void A_long_pending_gang_whose_selector_matches_no_node_does_not_hold_nodes_from_a_pod_that_fits()
    {
        // The starving gang is older than starvationThreshold (60s by default) but could never run here.
        var path = Temp("""
            apiVersion: v1
            kind: List
            items:
            - {apiVersion: v1, kind: Node, metadata: {name: n1, labels: {kubernetes.io/hostname: n1}}, status: {allocatable: {cpu: "8", memory: 64Gi, nvidia.com/gpu: "1", pods: "110"}}}
            - {apiVersion: v1, kind: Node, metadata: {name: n2, labels: {kubernetes.io/hostname: n2}}, status: {allocatable: {cpu: "8", memory: 64Gi, nvidia.com/gpu: "1", pods: "110"}}}
            - {apiVersion: v1, kind: Node, metadata: {name: n3, labels: {kubernetes.io/hostname: n3}}, status: {allocatable: {cpu: "8", memory: 64Gi, nvidia.com/gpu: "1", pods: "110"}}}
            - {apiVersion: v1, kind: Node, metadata: {name: n4, labels: {kubernetes.io/hostname: n4}}, status: {allocatable: {cpu: "8", memory: 64Gi, nvidia.com/gpu: "1", pods: "110"}}}
            - apiVersion: v1
              kind: Pod
              metadata: {name: typo-0, namespace: ml, creationTimestamp: "2020-01-01T00:00:00Z", labels: {scheduling.quorum.dev/pod-group: typo}}
              spec:
                schedulerName: quorum
                nodeSelector: {gpu-type: h1000}
                containers: [{name: c, resources: {requests: {nvidia.com/gpu: "1"}}}]
            - apiVersion: v1
              kind: Pod
              metadata: {name: typo-1, namespace: ml, creationTimestamp: "2020-01-01T00:00:00Z", labels: {scheduling.quorum.dev/pod-group: typo}}
              spec:
                schedulerName: quorum
                nodeSelector: {gpu-type: h1000}
                containers: [{name: c, resources: {requests: {nvidia.com/gpu: "1"}}}]
            - apiVersion: v1
              kind: Pod
              metadata: {name: typo-2, namespace: ml, creationTimestamp: "2020-01-01T00:00:00Z", labels: {scheduling.quorum.dev/pod-group: typo}}
              spec:
                schedulerName: quorum
                nodeSelector: {gpu-type: h1000}
                containers: [{name: c, resources: {requests: {nvidia.com/gpu: "1"}}}]
            - apiVersion: v1
              kind: Pod
              metadata: {name: typo-3, namespace: ml, creationTimestamp: "2020-01-01T00:00:00Z", labels: {scheduling.quorum.dev/pod-group: typo}}
              spec:
                schedulerName: quorum
                nodeSelector: {gpu-type: h1000}
                containers: [{name: c, resources: {requests: {nvidia.com/gpu: "1"}}}]
            - apiVersion: v1
              kind: Pod
              metadata: {name: ok, namespace: ml, creationTimestamp: "2020-01-01T00:00:01Z"}
              spec:
                schedulerName: quorum
                containers: [{name: c, resources: {requests: {nvidia.com/gpu: "1"}}}]
            - {apiVersion: scheduling.quorum.dev/v1alpha1, kind: PodGroup, metadata: {name: typo, namespace: ml}, spec: {minMember: 4}}
            """);

        var (code, stdout, stderr) = Run("-f", path, "-o", "json");

        Assert.That(code, Is.EqualTo(0), stderr);
        using var doc = JsonDocument.Parse(stdout);
        var ok = doc.RootElement.GetProperty("pods").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "ok");
        Assert.That(ok.GetProperty("node").GetString(), Is.Not.Null, ok.GetProperty("reason").ToString());
    }
}
