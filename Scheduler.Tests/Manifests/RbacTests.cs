using Grpc.Core;
using Grpc.Net.Client;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Quorum.Api;
using Quorum.Api.V1Alpha1;
using Quorum.Cli;
using Quorum.Configuration;
using Quorum.Hosting;
using Quorum.Kubernetes;
using Quorum.Tests.ApiServer;
using Quorum.Tests.ApiServerTests;

namespace Quorum.Tests.Manifests;

/// <summary>
/// The shipped RBAC is exactly what <c>quorum run</c> needs: the real scheduler host runs against the
/// API stand-in with the shipped ConfigMap's settings, every request it makes is authorized as the
/// Deployment's ServiceAccount by <see cref="RbacAuthorizer"/> over the shipped roles and bindings,
/// and every permission those roles grant must have been used.
/// </summary>
public class RbacTests : StandInFixture
{
    private static readonly V1Deployment Deployment = ShippedManifests.Single<V1Deployment>("quorum");

    /// <summary>
    /// The API server's built-in role the auth-delegator binding refers to, as Kubernetes' bootstrap
    /// policy defines it (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go).
    /// </summary>
    private static readonly V1ClusterRole AuthDelegator = new()
    {
        Metadata = new V1ObjectMeta { Name = "system:auth-delegator" },
        Rules =
        [
            new V1PolicyRule { ApiGroups = ["authentication.k8s.io"], Resources = ["tokenreviews"], Verbs = ["create"] },
            new V1PolicyRule { ApiGroups = ["authorization.k8s.io"], Resources = ["subjectaccessreviews"], Verbs = ["create"] },
        ],
    };

    protected override KubeApiStandInOptions Options()
    {
        var o = new KubeApiStandInOptions();
        o.Tokens["caller-token"] = new ReviewUser("caller", ["platform"]);
        o.Authorize = _ => true;
        return o;
    }

    private static UserInfo SchedulerAccount =>
        UserInfo.ServiceAccount(Deployment.Metadata.NamespaceProperty, Deployment.Spec.Template.Spec.ServiceAccountName);

    /// <summary>The roles that are Quorum's own (defined in manifests/ and bound to its ServiceAccount).</summary>
    private static List<(string Key, IList<V1PolicyRule> Rules)> OwnRoles()
    {
        var installed = ShippedManifests.Installed();
        return installed.OfType<V1ClusterRole>().Select(r => (RbacAuthorizer.ClusterRoleKey(r.Metadata.Name), r.Rules ?? []))
            .Concat(installed.OfType<V1Role>().Select(r => (RbacAuthorizer.RoleKey(r.Metadata.NamespaceProperty, r.Metadata.Name), r.Rules ?? [])))
            .ToList();
    }

    private static SchedulerOptions ShippedOptions()
    {
        var options = SchedulerOptionsLoader.Parse(ShippedManifests.Single<V1ConfigMap>("quorum-config").Data["quorum.yaml"], "config.yaml");
        // Free ports: tests run beside others on this machine.
        options.HealthzBindAddress = "127.0.0.1:0";
        options.GrpcBindAddress = "127.0.0.1:0";
        // The shipped lease name and namespace, with timers short enough to renew within the test.
        options.LeaderElection.LeaseDuration = "2s";
        options.LeaderElection.RenewDeadline = "1500ms";
        options.LeaderElection.RetryPeriod = "200ms";
        return options;
    }

    private static V1Pod Member(string name, string group, string? subGroup = null)
    {
        var labels = new Dictionary<string, string> { [WellKnown.PodGroupLabel] = group };
        if (subGroup is not null) labels[WellKnown.SubGroupLabel] = subGroup;
        return Objects.Pod(name, labels: labels);
    }

    /// <summary>
    /// A cluster on which one pass takes every path that calls the API: a gang that binds (binding,
    /// Scheduled events, PodGroup status), a gang that never fits (FailedScheduling events,
    /// PodScheduled=False, PodGroup status), an invalid PodGroup (InvalidPodGroup event), and every
    /// watched kind present.
    /// </summary>
    private void SeedEveryCallPath(string leaseNamespace)
    {
        Api.Put(Objects.Namespace(leaseNamespace));
        Api.Put(Objects.Node("n1"));
        Api.Put(Objects.Node("n2"));
        Api.Put(new V1PriorityClass { Metadata = new V1ObjectMeta { Name = "training" }, Value = 1000 });
        Api.Put(new TopologyResource
        {
            Metadata = new V1ObjectMeta { Name = "default" },
            Spec = new TopologySpecResource { Levels = [new TopologyLevelResource { NodeLabel = "kubernetes.io/hostname" }] },
        });
        Api.Put(Objects.PodGroup("job", minMember: 2));
        Api.Put(Member("job-0", "job"));
        Api.Put(Member("job-1", "job"));
        Api.Put(Objects.PodGroup("big", minMember: 3)); // 3 pods × 8 GPUs on two 8-GPU nodes: never fits
        for (var i = 0; i < 3; i++) Api.Put(Member($"big-{i}", "big"));
        Api.Put(new PodGroupResource
        {
            Metadata = new V1ObjectMeta { Name = "bad", NamespaceProperty = "ml" },
            Spec = new PodGroupSpecResource { SubGroups = [new SubGroupResource { Name = "a", Parent = "ghost", MinMember = 1 }] },
        });
        Api.Put(Member("bad-0", "bad", "a"));
        // Volume binding: a local volume promised to a claim, and a claim handed to its provisioner.
        Api.Put(new V1StorageClass { Metadata = new V1ObjectMeta { Name = "local" }, Provisioner = "kubernetes.io/no-provisioner", VolumeBindingMode = "WaitForFirstConsumer" });
        Api.Put(new V1StorageClass { Metadata = new V1ObjectMeta { Name = "fast" }, Provisioner = "csi.example.com", VolumeBindingMode = "WaitForFirstConsumer" });
        Api.Put(new V1PersistentVolume
        {
            Metadata = new V1ObjectMeta { Name = "pv-n1" },
            Spec = new V1PersistentVolumeSpec
            {
                StorageClassName = "local", AccessModes = ["ReadWriteOnce"], Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new("100Gi") },
                Local = new V1LocalVolumeSource { Path = "/nvme" },
                NodeAffinity = new V1VolumeNodeAffinity
                {
                    Required = new V1NodeSelector { NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "kubernetes.io/hostname", OperatorProperty = "In", Values = ["n1"] }] }] },
                },
            },
        });
        Api.Put(new V1CSINode
        {
            Metadata = new V1ObjectMeta { Name = "n2" },
            Spec = new V1CSINodeSpec { Drivers = [new V1CSINodeDriver { Name = "csi.example.com", NodeID = "n2", Allocatable = new V1VolumeNodeResources { Count = 16 } }] },
        });
        foreach (var (claim, cls) in new[] { ("cache", "local"), ("scratch", "fast") })
        {
            Api.Put(new V1PersistentVolumeClaim
            {
                Metadata = new V1ObjectMeta { Name = claim, NamespaceProperty = "ml" },
                Spec = new V1PersistentVolumeClaimSpec
                {
                    StorageClassName = cls, AccessModes = ["ReadWriteOnce"],
                    Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("10Gi") } },
                },
            });
            var pod = Objects.Pod($"{claim}-0");
            pod.Spec.Containers[0].Resources = null;
            pod.Spec.Volumes = [new V1Volume { Name = "v", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } }];
            Api.Put(pod);
        }
    }

    private bool VolumesBound() =>
        Api.Get<V1PersistentVolume>("pv-n1")?.Spec?.ClaimRef?.Name == "cache"
        && Api.Get<V1PersistentVolumeClaim>("scratch", "ml")?.Metadata?.Annotations?.ContainsKey("volume.kubernetes.io/selected-node") == true
        && Api.Get<V1Pod>("cache-0", "ml")?.Spec.NodeName == "n1";

    private bool HasEvent(string reason, string regarding) =>
        Api.List<Eventsv1Event>("ml").Any(e => e.Reason == reason && e.Regarding?.Name == regarding);

    [Test]
    public async Task Every_request_quorum_run_makes_is_allowed_and_every_granted_permission_is_used()
    {
        var options = ShippedOptions();
        var le = options.LeaderElection;
        Assert.That(le.LeaderElect, Is.True, "the shipped config elects a leader, so the Lease calls are part of what is checked");
        SeedEveryCallPath(le.ResourceNamespace);
        const string identity = "quorum-5d8f7c9b6-x2k4q";
        string? Holder() => Api.Get<V1Lease>(le.ResourceName, le.ResourceNamespace)?.Spec?.HolderIdentity;
        var leasePath = $"/apis/coordination.k8s.io/v1/namespaces/{le.ResourceNamespace}/leases/{le.ResourceName}";

        var scheduler = RunCommand.Build(options, Api.CreateClient(), identity);
        await scheduler.StartAsync();
        try
        {
            await KubeApiStandIn.WaitForAsync(() =>
                Api.Get<V1Pod>("job-0", "ml")?.Spec.NodeName is not null && Api.Get<V1Pod>("job-1", "ml")?.Spec.NodeName is not null
                && Api.Get<PodGroupResource>("job", "ml")?.Status?.Phase == "Scheduled"
                && Api.Get<PodGroupResource>("big", "ml")?.Status?.Phase is not null
                && Api.Get<V1Pod>("big-0", "ml")?.Status?.Conditions?.Any(c => c.Type == "PodScheduled" && c.Status == "False") == true
                && HasEvent("Scheduled", "job-0") && HasEvent("FailedScheduling", "big") && HasEvent("InvalidPodGroup", "bad")
                && Holder() == identity && Api.RequestCount("update", leasePath) > 0 && VolumesBound(),
                TimeSpan.FromSeconds(15), "bind, report, acquire and renew the lease, bind volumes");
        }
        finally
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await scheduler.StopAsync(timeout.Token);
            await scheduler.DisposeAsync();
        }
        Assert.That(Holder(), Is.Empty, "the lease was released on shutdown");

        var authorizer = new RbacAuthorizer(ShippedManifests.Installed());
        var denied = new List<string>();
        var used = new HashSet<(string Role, string ApiGroup, string Resource, string Verb, string Name)>();
        var requests = Api.Requests;
        foreach (var r in requests)
        {
            var attributes = RequestAttributes.Resolve(r.Method, r.Path, r.Query);
            var grants = authorizer.Allowing(SchedulerAccount, attributes);
            if (grants.Count == 0) denied.Add($"{r} ({attributes})");
            foreach (var g in grants)
                used.Add((g.Role, attributes.ApiGroup, attributes.CombinedResource, attributes.Verb, g.Rule.ResourceNames is { Count: > 0 } ? attributes.Name : ""));
        }
        var unused = OwnRoles()
            .SelectMany(role => role.Rules.SelectMany(RbacAuthorizer.Permissions).Select(p => (role.Key, p.ApiGroup, p.Resource, p.Verb, p.Name)))
            .Where(p => !used.Contains(p))
            .Select(p => $"{p.Key}: {p.Verb} {(p.ApiGroup.Length == 0 ? "core" : p.ApiGroup)}/{p.Resource}{(p.Name.Length > 0 ? " " + p.Name : "")}")
            .ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(requests, Has.Count.GreaterThan(20), "the scheduler talked to the API");
            Assert.That(denied, Is.Empty, "requests the shipped RBAC would refuse (403)");
            Assert.That(unused, Is.Empty, "permissions granted but never used: least privilege says remove them");
        }
    }

    [Test]
    public async Task With_gRPC_token_authentication_on_the_access_reviews_are_allowed_through_system_auth_delegator()
    {
        var options = ShippedOptions();
        options.LeaderElection.LeaderElect = false; // the main test covers the lease; here only the reviews matter
        options.GrpcAuthentication.Mode = GrpcAuthenticationOptions.Kubernetes;
        Api.Put(Objects.Node("n1"));
        var scheduler = RunCommand.Build(options, Api.CreateClient(), "grpc-reviews");
        await scheduler.StartAsync();
        try
        {
            var state = scheduler.Services.GetRequiredService<SchedulerState>();
            await KubeApiStandIn.WaitForAsync(() => state.Synced, because: "the scheduler lists the cluster");
            using var channel = GrpcChannel.ForAddress(scheduler.Services.GetRequiredService<GrpcEndpoint>().Address);
            var answer = await new Quorum.Api.V1Alpha1.Scheduler.SchedulerClient(channel)
                .CapacityAsync(new CapacityRequest(), new Metadata { { "authorization", "Bearer caller-token" } });
            Assert.That(answer.Cluster.GpuTotal, Is.EqualTo(8));
        }
        finally
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await scheduler.StopAsync(timeout.Token);
            await scheduler.DisposeAsync();
        }

        var authorizer = new RbacAuthorizer([.. ShippedManifests.Installed(), AuthDelegator]);
        var reviews = new List<string>();
        foreach (var r in Api.Requests)
        {
            var attributes = RequestAttributes.Resolve(r.Method, r.Path, r.Query);
            var roles = authorizer.Allowing(SchedulerAccount, attributes).Select(g => g.Role).Distinct().ToList();
            Assert.That(roles, Is.Not.Empty, $"{r} ({attributes})");
            if (attributes.Resource.EndsWith("reviews", StringComparison.Ordinal))
            {
                reviews.Add(attributes.ToString());
                Assert.That(roles, Is.EqualTo(new[] { RbacAuthorizer.ClusterRoleKey("system:auth-delegator") }), "Quorum's own roles grant no reviews");
            }
        }
        Assert.That(reviews.Distinct(), Is.EquivalentTo(new[] { "create authentication.k8s.io/tokenreviews", "create authorization.k8s.io/subjectaccessreviews" }));
    }

    [Test]
    public void Quorum_s_roles_name_no_wildcard_and_no_non_resource_url()
    {
        foreach (var (key, rules) in OwnRoles())
        {
            foreach (var rule in rules)
            {
                Assert.That(rule.NonResourceURLs ?? [], Is.Empty, key);
                foreach (var p in RbacAuthorizer.Permissions(rule))
                    Assert.That(new[] { p.ApiGroup, p.Resource, p.Verb, p.Name }, Has.None.Contains('*'), key);
            }
        }
    }

    [Test]
    public void The_ServiceAccount_is_bound_to_Quorum_s_own_roles_and_system_auth_delegator_only()
    {
        var installed = ShippedManifests.Installed();
        var account = installed.OfType<V1ServiceAccount>().Single();
        Assert.That((account.Metadata.NamespaceProperty, account.Metadata.Name),
            Is.EqualTo((Deployment.Metadata.NamespaceProperty, Deployment.Spec.Template.Spec.ServiceAccountName)), "the Deployment runs as the shipped ServiceAccount");

        var bound = installed.OfType<V1ClusterRoleBinding>().Select(b => (b.RoleRef, b.Subjects))
            .Concat(installed.OfType<V1RoleBinding>().Select(b => (b.RoleRef, b.Subjects)))
            .ToList();
        foreach (var (_, subjects) in bound)
            Assert.That(subjects.Select(s => (s.Kind, s.NamespaceProperty, s.Name)), Is.EqualTo(new[] { ("ServiceAccount", "quorum-system", "quorum") }),
                "every shipped binding is for Quorum's ServiceAccount alone");
        // system:auth-delegator (TokenReview, SubjectAccessReview create) is for issue 5's gRPC authentication.
        Assert.That(bound.Select(b => $"{b.RoleRef.Kind} {b.RoleRef.Name}").Order(), Is.EqualTo(new[]
        {
            "ClusterRole quorum", "ClusterRole system:auth-delegator", "Role quorum-leader-election",
        }));
    }
}
