using System.Text.Json;
using Quorum.Cli;

namespace Quorum.Tests.Cli;

/// <summary>
/// Hard constraints a pod spec carries (inter-pod affinity, topology spread, host ports), as a user
/// meets them: manifests through whatif, the same mapping, profile and search as the scheduler.
/// </summary>
public class PodSpecConstraintTests
{
    private static string Node(string name, string zone = "a", int gpus = 8) =>
        "- {apiVersion: v1, kind: Node, metadata: {name: " + name + ", labels: {kubernetes.io/hostname: " + name + ", topology.kubernetes.io/zone: " + zone
        + "}}, status: {allocatable: {cpu: \"64\", memory: 512Gi, nvidia.com/gpu: \"" + gpus + "\", pods: \"110\"}}}";

    /// <summary>A pod; <paramref name="spec"/> is more of its spec, indented by four spaces.</summary>
    private static string Pod(string name, string labels, string spec = "", string? group = null, string? node = null, int gpus = 1, string ports = "")
    {
        var groupLabel = group is null ? "" : ", scheduling.quorum.dev/pod-group: " + group;
        var nodeName = node is null ? "" : "\n    nodeName: " + node;
        return "- apiVersion: v1\n  kind: Pod\n  metadata: {name: " + name + ", namespace: ml, labels: {" + labels + groupLabel + "}}\n"
            + "  spec:\n    schedulerName: quorum" + nodeName + "\n"
            + "    containers: [{name: c, resources: {requests: {nvidia.com/gpu: \"" + gpus + "\"}}" + ports + "}]\n"
            + spec;
    }

    private static string Group(string name, int minMember) =>
        $"- {{apiVersion: scheduling.quorum.dev/v1alpha1, kind: PodGroup, metadata: {{name: {name}, namespace: ml}}, spec: {{minMember: {minMember}}}}}";

    private static Dictionary<string, (string? Node, string? Reason)> WhatIf(params string[] items)
    {
        var path = Path.Combine(Path.GetTempPath(), $"quorum-constraints-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "apiVersion: v1\nkind: List\nitems:\n" + string.Join("\n", items.Select(i => i.TrimEnd())) + "\n");
        var o = new StringWriter();
        var e = new StringWriter();
        var code = WhatIfCommand.Run(["-f", path, "-o", "json"], o, e);
        Assert.That(code, Is.EqualTo(0), e.ToString());
        using var doc = JsonDocument.Parse(o.ToString());
        return doc.RootElement.GetProperty("pods").EnumerateArray().ToDictionary(
            p => p.GetProperty("name").GetString()!,
            p => (p.GetProperty("node").GetString(), p.GetProperty("reason").GetString()));
    }

    private const string RouterAntiAffinity = """
            affinity:
              podAntiAffinity:
                requiredDuringSchedulingIgnoredDuringExecution:
                - labelSelector: {matchLabels: {app: router}}
                  topologyKey: kubernetes.io/hostname
        """;

    [Test]
    public void Routers_with_required_anti_affinity_take_one_node_each_and_the_third_says_why_it_waits()
    {
        var pods = WhatIf(Node("n1"), Node("n2"),
            Pod("router-0", "app: router", RouterAntiAffinity), Pod("router-1", "app: router", RouterAntiAffinity), Pod("router-2", "app: router", RouterAntiAffinity));

        var placed = pods.Values.Where(p => p.Node is not null).Select(p => p.Node).ToList();
        Assert.That(placed, Is.EquivalentTo(new[] { "n1", "n2" }), "one router per node");
        // As kube-scheduler says it: the routers' own anti-affinity, seen from the pods already placed, is checked first.
        Assert.That(pods["router-2"].Reason, Is.EqualTo("0/2 nodes are available: 2 node(s) didn't satisfy existing pods anti-affinity rules."));
    }

    [Test]
    public void A_gang_whose_members_repel_each_other_spreads_over_nodes_or_waits_whole()
    {
        var fits = WhatIf(Node("n1"), Node("n2"), Group("routers", 2),
            Pod("r0", "app: router", RouterAntiAffinity, group: "routers"), Pod("r1", "app: router", RouterAntiAffinity, group: "routers"));
        Assert.That(fits.Values.Select(p => p.Node), Is.EquivalentTo(new[] { "n1", "n2" }), "members placed earlier in the cycle count");

        var tooMany = WhatIf(Node("n1"), Node("n2"), Group("routers", 3),
            Pod("r0", "app: router", RouterAntiAffinity, group: "routers"), Pod("r1", "app: router", RouterAntiAffinity, group: "routers"),
            Pod("r2", "app: router", RouterAntiAffinity, group: "routers"));
        Assert.That(tooMany.Values.Select(p => p.Node), Is.All.Null, "never two of three");
        Assert.That(tooMany["r2"].Reason, Does.EndWith(": 0/2 nodes are available: 2 node(s) didn't satisfy existing pods anti-affinity rules."),
            "the message names the rule that stopped the third member, as its gang-mates left the nodes");
    }

    [Test]
    public void An_existing_pods_anti_affinity_keeps_the_pods_it_selects_out_of_its_domain()
    {
        var pods = WhatIf(Node("n1", zone: "a"), Node("n2", zone: "a"), Node("n3", zone: "b"),
            Pod("loner", "app: loner", """
                    affinity:
                      podAntiAffinity:
                        requiredDuringSchedulingIgnoredDuringExecution:
                        - labelSelector: {matchLabels: {app: web}}
                          topologyKey: topology.kubernetes.io/zone
                """, node: "n1"),
            Pod("web", "app: web"));
        Assert.That(pods["web"].Node, Is.EqualTo("n3"), "zone a is closed to app=web by the pod running on n1");
    }

    [Test]
    public void Required_pod_affinity_follows_the_pod_it_names_and_waits_for_it_when_there_is_none()
    {
        const string nearDb = """
                affinity:
                  podAffinity:
                    requiredDuringSchedulingIgnoredDuringExecution:
                    - labelSelector: {matchExpressions: [{key: app, operator: In, values: [db]}]}
                      topologyKey: kubernetes.io/hostname
            """;
        var withDb = WhatIf(Node("n1"), Node("n2"), Node("n3"), Pod("db", "app: db", node: "n2"), Pod("cache", "app: cache", nearDb));
        Assert.That(withDb["cache"].Node, Is.EqualTo("n2"));

        var without = WhatIf(Node("n1"), Node("n2"), Pod("cache", "app: cache", nearDb));
        Assert.That(without["cache"].Node, Is.Null);
        Assert.That(without["cache"].Reason, Does.Contain("2 node(s) didn't match pod affinity rules"));
    }

    [Test]
    public void A_gang_affine_to_itself_starts_its_series_and_lands_together()
    {
        const string together = """
                affinity:
                  podAffinity:
                    requiredDuringSchedulingIgnoredDuringExecution:
                    - labelSelector: {matchLabels: {app: shard}}
                      topologyKey: topology.kubernetes.io/zone
            """;
        // Best fit alone would put the second shard on n3 (2 GPUs, the tightest); its affinity to the
        // first, placed on n1 earlier in the same cycle, keeps it in zone a.
        var pods = WhatIf(Node("n1", zone: "a", gpus: 1), Node("n2", zone: "a"), Node("n3", zone: "b", gpus: 2), Group("shards", 2),
            Pod("s0", "app: shard", together, group: "shards"), Pod("s1", "app: shard", together, group: "shards"));
        Assert.That(pods.Values.Select(p => p.Node), Is.EquivalentTo(new[] { "n1", "n2" }));
    }

    [Test]
    public void A_pod_affine_to_itself_alone_may_start_a_series_but_not_one_selecting_others()
    {
        const string affine = """
                affinity:
                  podAffinity:
                    requiredDuringSchedulingIgnoredDuringExecution:
                    - labelSelector: {matchLabels: {app: shard}}
                      topologyKey: kubernetes.io/hostname
            """;
        Assert.That(WhatIf(Node("n1"), Pod("s0", "app: shard", affine))["s0"].Node, Is.EqualTo("n1"));
        Assert.That(WhatIf(Node("n1"), Pod("s0", "app: other", affine))["s0"].Node, Is.Null, "it does not match its own term");
    }

    [Test]
    public void Two_pods_asking_for_one_host_port_never_share_a_node()
    {
        const string port8080 = ", ports: [{containerPort: 80, hostPort: 8080}]";
        var pods = WhatIf(Node("n1"), Pod("a", "app: a", ports: port8080), Pod("b", "app: b", ports: port8080));
        Assert.That(pods.Values.Count(p => p.Node == "n1"), Is.EqualTo(1));
        Assert.That(pods.Values.Single(p => p.Node is null).Reason, Does.Contain("1 node(s) didn't have free ports for the requested pod ports"));

        var otherProtocol = WhatIf(Node("n1"), Pod("a", "app: a", ports: port8080),
            Pod("b", "app: b", ports: ", ports: [{containerPort: 80, hostPort: 8080, protocol: UDP}]"));
        Assert.That(otherProtocol.Values.Select(p => p.Node), Is.All.EqualTo("n1"), "TCP and UDP on one port do not conflict");
    }

    [Test]
    public void Topology_spread_with_DoNotSchedule_puts_a_gang_one_per_zone_and_counts_running_pods()
    {
        const string spread = """
                topologySpreadConstraints:
                - maxSkew: 1
                  topologyKey: topology.kubernetes.io/zone
                  whenUnsatisfiable: DoNotSchedule
                  labelSelector: {matchLabels: {app: decode}}
            """;
        var pods = WhatIf(Node("n1", zone: "a"), Node("n2", zone: "b"), Node("n3", zone: "c"), Group("decode", 3),
            Pod("d0", "app: decode", spread, group: "decode"), Pod("d1", "app: decode", spread, group: "decode"), Pod("d2", "app: decode", spread, group: "decode"));
        Assert.That(pods.Values.Select(p => p.Node), Is.EquivalentTo(new[] { "n1", "n2", "n3" }));

        // Zone a already runs one: the next goes elsewhere, and a third zone-a pod would exceed maxSkew.
        var running = WhatIf(Node("n1", zone: "a"), Node("n2", zone: "b"),
            Pod("old", "app: decode", node: "n1"), Pod("new", "app: decode", spread));
        Assert.That(running["new"].Node, Is.EqualTo("n2"));
    }

    [Test]
    public void A_node_without_the_spread_key_is_never_a_domain()
    {
        const string spread = """
                topologySpreadConstraints:
                - maxSkew: 1
                  topologyKey: rack
                  whenUnsatisfiable: DoNotSchedule
                  labelSelector: {matchLabels: {app: x}}
            """;
        var pods = WhatIf(Node("n1"), Pod("p", "app: x", spread));
        Assert.That(pods["p"].Node, Is.Null);
        Assert.That(pods["p"].Reason, Does.Contain("node(s) didn't match pod topology spread constraints (missing required label)"));
    }

    [Test]
    public void A_bad_label_selector_operator_is_refused_naming_the_field()
    {
        var path = Path.Combine(Path.GetTempPath(), $"quorum-constraints-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "apiVersion: v1\nkind: List\nitems:\n" + Node("n1") + "\n" + Pod("p", "app: x", """
                affinity:
                  podAntiAffinity:
                    requiredDuringSchedulingIgnoredDuringExecution:
                    - labelSelector: {matchExpressions: [{key: app, operator: Equals, values: [x]}]}
                      topologyKey: kubernetes.io/hostname
            """));
        var e = new StringWriter();
        var code = WhatIfCommand.Run(["-f", path], new StringWriter(), e);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(e.ToString(), Does.Contain("spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].operator"));
        Assert.That(e.ToString(), Does.Contain("\"Equals\" is not one of In, NotIn, Exists, DoesNotExist"));
    }

    [Test]
    public void Preferred_anti_affinity_spreads_routers_when_it_can_and_still_places_them_when_it_cannot()
    {
        const string apart = """
                affinity:
                  podAntiAffinity:
                    preferredDuringSchedulingIgnoredDuringExecution:
                    - weight: 100
                      podAffinityTerm:
                        labelSelector: {matchLabels: {app: router}}
                        topologyKey: kubernetes.io/hostname
            """;
        // GPU best fit alone would stack both on n1, which already runs one GPU pod.
        var pods = WhatIf(Node("n1"), Node("n2"), Pod("busy", "app: other", node: "n1"), Group("routers", 2),
            Pod("r0", "app: router", apart, group: "routers"), Pod("r1", "app: router", apart, group: "routers"));
        Assert.That(new[] { pods["r0"].Node, pods["r1"].Node }, Is.EquivalentTo(new[] { "n1", "n2" }));

        var oneNode = WhatIf(Node("n1"), Group("routers", 2),
            Pod("r0", "app: router", apart, group: "routers"), Pod("r1", "app: router", apart, group: "routers"));
        Assert.That(oneNode.Values.Select(p => p.Node), Is.All.EqualTo("n1"), "a preference never refuses");
    }

    [Test]
    public void ScheduleAnyway_spread_prefers_the_emptier_zone_and_never_refuses()
    {
        const string spread = """
                topologySpreadConstraints:
                - maxSkew: 1
                  topologyKey: topology.kubernetes.io/zone
                  whenUnsatisfiable: ScheduleAnyway
                  labelSelector: {matchLabels: {app: decode}}
            """;
        var pods = WhatIf(Node("n1", zone: "a"), Node("n2", zone: "b"), Pod("old", "app: decode", node: "n1"), Pod("new", "app: decode", spread));
        Assert.That(pods["new"].Node, Is.EqualTo("n2"), "best fit alone would pick n1, already partly used");

        var full = WhatIf(Node("n1", zone: "a"), Node("n2", zone: "b", gpus: 0), Pod("old", "app: decode", node: "n1"), Pod("new", "app: decode", spread));
        Assert.That(full["new"].Node, Is.EqualTo("n1"));
    }

    private static string Claim(string name, string? storageClass, string? volume = null, string modes = "ReadWriteOnce") =>
        "- {apiVersion: v1, kind: PersistentVolumeClaim, metadata: {name: " + name + ", namespace: ml}, spec: {accessModes: [" + modes + "], "
        + (storageClass is null ? "" : "storageClassName: " + storageClass + ", ") + (volume is null ? "" : "volumeName: " + volume + ", ")
        + "resources: {requests: {storage: 100Gi}}}}";

    private static string Volume(string name, string storageClass, string node, string size = "200Gi") =>
        "- {apiVersion: v1, kind: PersistentVolume, metadata: {name: " + name + "}, spec: {storageClassName: " + storageClass
        + ", accessModes: [ReadWriteOnce], capacity: {storage: " + size + "}, local: {path: /nvme}, nodeAffinity: {required: {nodeSelectorTerms: "
        + "[{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [" + node + "]}]}]}}}}";

    private static string Class(string name, string provisioner, string mode = "WaitForFirstConsumer", string? zone = null) =>
        "- {apiVersion: storage.k8s.io/v1, kind: StorageClass, metadata: {name: " + name + "}, provisioner: " + provisioner
        + ", volumeBindingMode: " + mode + (zone is null ? "" : ", allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [" + zone + "]}]}]") + "}";

    private const string UsesData = """
            volumes: [{name: weights, persistentVolumeClaim: {claimName: data}}]
        """;

    [Test]
    public void A_pod_whose_claim_does_not_exist_waits_and_names_it()
    {
        var pods = WhatIf(Node("n1"), Pod("p", "app: x", UsesData));
        Assert.That(pods["p"].Node, Is.Null);
        Assert.That(pods["p"].Reason, Is.EqualTo("0/1 nodes are available: 1 persistentvolumeclaim \"data\" not found."));
    }

    [Test]
    public void A_bound_claim_takes_its_pod_to_the_node_its_volume_lives_on()
    {
        var pods = WhatIf(Node("n1"), Node("n2"), Class("local", "kubernetes.io/no-provisioner"), Volume("pv-n2", "local", "n2"),
            Claim("data", "local", volume: "pv-n2"), Pod("p", "app: x", UsesData));
        Assert.That(pods["p"].Node, Is.EqualTo("n2"));
    }

    [Test]
    public void A_WaitForFirstConsumer_claim_goes_where_a_volume_or_the_provisioner_can_serve_it()
    {
        var local = WhatIf(Node("n1"), Node("n2"), Class("local", "kubernetes.io/no-provisioner"), Volume("pv-n1", "local", "n1"),
            Claim("data", "local"), Pod("p", "app: x", UsesData));
        Assert.That(local["p"].Node, Is.EqualTo("n1"), "the only node with an available local volume");

        var tooSmall = WhatIf(Node("n1"), Class("local", "kubernetes.io/no-provisioner"), Volume("pv-n1", "local", "n1", size: "10Gi"),
            Claim("data", "local"), Pod("p", "app: x", UsesData));
        Assert.That(tooSmall["p"].Reason, Does.Contain("1 node(s) didn't find available persistent volumes to bind"));

        var zoned = WhatIf(Node("n1", zone: "a"), Node("n2", zone: "b"), Class("fast", "csi.example.com", zone: "b"), Claim("data", "fast"), Pod("p", "app: x", UsesData));
        Assert.That(zoned["p"].Node, Is.EqualTo("n2"), "allowedTopologies admit zone b only");
    }

    [Test]
    public void An_unbound_claim_of_an_Immediate_class_waits_for_its_volume()
    {
        var pods = WhatIf(Node("n1"), Class("standard", "csi.example.com", mode: "Immediate"), Claim("data", "standard"), Pod("p", "app: x", UsesData));
        Assert.That(pods["p"].Reason, Does.Contain("pod has unbound immediate PersistentVolumeClaims"));
    }

    [Test]
    public void A_ReadWriteOncePod_claim_serves_one_pod()
    {
        var pods = WhatIf(Node("n1"), Node("n2"), Class("fast", "csi.example.com"), Claim("data", "fast", modes: "ReadWriteOncePod"),
            Pod("first", "app: x", UsesData, node: "n1"), Pod("second", "app: x", UsesData));
        Assert.That(pods["second"].Node, Is.Null);
        Assert.That(pods["second"].Reason, Does.Contain("node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode"));
    }

    [Test]
    public void A_node_at_its_CSI_attach_limit_takes_no_pod_with_another_volume_of_that_driver()
    {
        const string csiNode = "- {apiVersion: storage.k8s.io/v1, kind: CSINode, metadata: {name: n1}, spec: {drivers: [{name: csi.example.com, nodeID: n1, allocatable: {count: 1}}]}}";
        const string attachedPv = "- {apiVersion: v1, kind: PersistentVolume, metadata: {name: pv-a}, spec: {storageClassName: fast, accessModes: [ReadWriteOnce], capacity: {storage: 100Gi}, csi: {driver: csi.example.com, volumeHandle: a}, claimRef: {namespace: ml, name: attached}}}";
        const string usesAttached = """
                volumes: [{name: a, persistentVolumeClaim: {claimName: attached}}]
            """;
        var pods = WhatIf(Node("n1"), Node("n2", gpus: 2), csiNode, Class("fast", "csi.example.com"), attachedPv, Claim("attached", "fast", volume: "pv-a"),
            Claim("data", "fast"), Pod("running", "app: x", usesAttached, node: "n1"), Pod("p", "app: x", UsesData));
        Assert.That(pods["p"].Node, Is.EqualTo("n2"), "n1 already attaches its one allowed csi.example.com volume; best fit alone would pick it");

        var full = WhatIf(Node("n1"), csiNode, Class("fast", "csi.example.com"), attachedPv, Claim("attached", "fast", volume: "pv-a"),
            Claim("data", "fast"), Pod("running", "app: x", usesAttached, node: "n1"), Pod("p", "app: x", UsesData));
        Assert.That(full["p"].Reason, Does.Contain("1 node(s) exceed max volume count"));
    }
}
