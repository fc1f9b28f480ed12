using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Quorum.Api.V1Alpha1;
using Quorum.Configuration;
using Quorum.Tests.ApiServer;

namespace Quorum.Tests.Grpc;

/// <summary>
/// Who may call the gRPC API and how much: Kubernetes tokens checked with TokenReview and
/// SubjectAccessReview, a rate limit, a size limit, and the services every client can discover.
/// </summary>
public class ApiAccessTests : GrpcHostFixture
{
    private readonly List<SubjectAccess> _reviews = [];

    protected override KubeApiStandInOptions Options()
    {
        // NUnit keeps one fixture instance for all its tests: start each with no reviews seen.
        lock (_reviews) _reviews.Clear();
        var o = new KubeApiStandInOptions();
        o.Tokens["alice-token"] = new ReviewUser("alice", ["platform"]);
        o.Tokens["bob-token"] = new ReviewUser("bob", ["ml-users"]);
        o.Authorize = a =>
        {
            lock (_reviews) _reviews.Add(a);
            return a.User == "alice";
        };
        return o;
    }

    private static SchedulerOptions WithTokens()
    {
        var o = Settings();
        o.GrpcAuthentication.Mode = GrpcAuthenticationOptions.Kubernetes;
        return o;
    }

    [Test]
    public async Task Without_a_valid_token_calls_are_Unauthenticated_and_without_the_RBAC_grant_PermissionDenied()
    {
        SeedCluster();
        var host = await StartHostAsync(WithTokens());
        var client = ApiClient(host);

        var none = await FailsAsync(client.CapacityAsync(new CapacityRequest()));
        Assert.That(none.StatusCode, Is.EqualTo(StatusCode.Unauthenticated), none.Status.Detail);
        var bad = await FailsAsync(client.CapacityAsync(new CapacityRequest(), Bearer("stolen")));
        Assert.That(bad.StatusCode, Is.EqualTo(StatusCode.Unauthenticated), bad.Status.Detail);
        var bob = await FailsAsync(client.CapacityAsync(new CapacityRequest(), Bearer("bob-token")));
        Assert.That(bob.StatusCode, Is.EqualTo(StatusCode.PermissionDenied), bob.Status.Detail);
        Assert.That(bob.Status.Detail, Does.StartWith("user \"bob\" may not list nodes at the cluster scope"));

        var alice = await client.CapacityAsync(new CapacityRequest(), Bearer("alice-token"));
        Assert.That(alice.Cluster.GpuTotal, Is.EqualTo(32));
        lock (_reviews)
        {
            Assert.That(_reviews.Select(r => (r.User, r.Verb, r.Group, r.Resource, r.Namespace)),
                Is.EqualTo(new[] { ("bob", "list", "", "nodes", (string?)null), ("alice", "list", "", "nodes", null) }));
            Assert.That(_reviews[^1].Groups, Is.EqualTo(new[] { "platform" }));
        }
    }

    [Test]
    public async Task Explain_asks_for_get_on_the_object_in_its_namespace_and_answers_are_cached()
    {
        SeedCluster();
        var host = await StartHostAsync(WithTokens());
        var client = ApiClient(host);
        Api.ClearRequests();

        for (var i = 0; i < 3; i++)
            await client.ExplainAsync(new ExplainRequest { Pod = new ObjectRef { Namespace = "ml", Name = "busy" } }, Bearer("alice-token"));
        var group = await FailsAsync(client.ExplainAsync(new ExplainRequest { PodGroup = new ObjectRef { Namespace = "ml", Name = "big" } }, Bearer("bob-token")));

        Assert.That(group.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(group.Status.Detail, Does.StartWith("user \"bob\" may not get podgroups.scheduling.quorum.dev \"big\" in namespace \"ml\""));
        lock (_reviews)
            Assert.That(_reviews.Select(r => (r.User, r.Verb, r.Group, r.Resource, r.Namespace, r.Name)), Is.EqualTo(new[]
            {
                ("alice", "get", "", "pods", (string?)"ml", (string?)"busy"),
                ("bob", "get", "scheduling.quorum.dev", "podgroups", "ml", "big"),
            }), "one review per caller and question within the cache TTL");
        Assert.That(Api.RequestCount("create", "/apis/authentication.k8s.io/v1/tokenreviews"), Is.EqualTo(2), "one TokenReview per token");
    }

    [Test]
    public async Task Calls_over_the_rate_limit_are_ResourceExhausted()
    {
        SeedCluster();
        var options = Settings();
        options.GrpcRateLimit.Qps = 1;
        options.GrpcRateLimit.Burst = 2;
        var host = await StartHostAsync(options);
        var client = ApiClient(host);

        await client.CapacityAsync(new CapacityRequest());
        await client.CapacityAsync(new CapacityRequest());
        var third = await FailsAsync(client.CapacityAsync(new CapacityRequest()));

        Assert.That(third.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
        Assert.That(third.Status.Detail, Does.StartWith("rate limit: at most 1 calls per second (burst 2)"));
    }

    [Test]
    public async Task A_request_larger_than_grpcMaxRequestBytes_is_ResourceExhausted()
    {
        SeedCluster();
        var options = Settings();
        options.GrpcMaxRequestBytes = 4096;
        var host = await StartHostAsync(options);

        var big = await FailsAsync(ApiClient(host).WhatIfAsync(new WhatIfRequest { Manifests = "# " + new string('x', 8192) }));

        Assert.That(big.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted), big.Status.Detail);
    }

    [Test]
    public async Task Reflection_lists_the_service_and_gRPC_health_says_SERVING_without_credentials()
    {
        SeedCluster();
        var host = await StartHostAsync(WithTokens());
        var channel = Channel(host);

        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.That(health.Status, Is.EqualTo(HealthCheckResponse.Types.ServingStatus.Serving));

        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(Bearer("bob-token"));
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None), Is.True);
        Assert.That(call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name), Does.Contain("quorum.v1alpha1.Scheduler"));

        using var anonymous = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();
        await anonymous.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        var refused = Assert.ThrowsAsync<RpcException>(async () => await anonymous.ResponseStream.MoveNext(CancellationToken.None));
        Assert.That(refused!.StatusCode, Is.EqualTo(StatusCode.Unauthenticated));
    }

    [Test]
    public void Start_up_is_refused_when_the_API_would_be_exposed_without_authentication()
    {
        var e = Assert.Throws<OptionsException>(() => SchedulerOptionsLoader.Parse("grpcBindAddress: 0.0.0.0:10260\n", "quorum.yaml"));
        Assert.That(e!.Errors, Is.EqualTo(new[]
        {
            "quorum.yaml: grpcBindAddress: \"0.0.0.0:10260\" is not a loopback address: set grpcAuthentication.mode to kubernetes or mtls to expose the gRPC API",
        }));
        Assert.That(SchedulerOptionsLoader.Parse("grpcBindAddress: 0.0.0.0:10260\ngrpcAuthentication: {mode: kubernetes}\n").GrpcAuthentication.Mode,
            Is.EqualTo("kubernetes"));
        var mtls = Assert.Throws<OptionsException>(() => SchedulerOptionsLoader.Parse("grpcAuthentication: {mode: mtls}\n", "quorum.yaml"));
        Assert.That(mtls!.Errors, Is.EqualTo(new[]
        {
            "quorum.yaml: grpcAuthentication.tlsCertFile: \"\" must be set for mode mtls",
            "quorum.yaml: grpcAuthentication.tlsKeyFile: \"\" must be set for mode mtls",
            "quorum.yaml: grpcAuthentication.clientCAFile: \"\" must be set for mode mtls",
        }));
    }
}
