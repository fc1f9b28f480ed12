using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Microsoft.Extensions.DependencyInjection;
using Quorum.Api.V1Alpha1;
using Quorum.Cli;
using Quorum.Hosting;
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
        o.Tokens["carol-quorum-token"] = new ReviewUser("carol", ["platform"], Audiences: ["quorum"]);
        o.Authorize = a =>
        {
            lock (_reviews) _reviews.Add(a);
            return a.User is "alice" or "carol";
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
    public async Task An_empty_bearer_token_is_Unauthenticated()
    {
        SeedCluster();
        var host = await StartHostAsync(WithTokens());

        var empty = await FailsAsync(ApiClient(host).CapacityAsync(new CapacityRequest(), new Metadata { { "authorization", "Bearer \t " } }));

        Assert.That((empty.StatusCode, empty.Status.Detail), Is.EqualTo((StatusCode.Unauthenticated, "the authorization metadata must be \"Bearer TOKEN\"")));
    }

    /// <summary>TokenReviews time out in the client, as HttpClient reports its timeout; everything else goes through.</summary>
    private sealed class TokenReviewTimesOut : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            request.RequestUri!.AbsolutePath.EndsWith("/tokenreviews", StringComparison.Ordinal)
                ? throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout", new TimeoutException())
                : base.SendAsync(request, cancellationToken);
    }

    [Test]
    public async Task A_review_the_API_server_does_not_answer_in_time_is_Unavailable()
    {
        SeedCluster();
        using var timingOut = new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = Api.BaseAddress.ToString() }, new TokenReviewTimesOut());
        var host = RunCommand.Build(WithTokens(), timingOut, "grpc-timeout");
        try
        {
            await host.StartAsync();
            var state = host.Services.GetRequiredService<SchedulerState>();
            await KubeApiStandIn.WaitForAsync(() => state.Synced, because: "the scheduler lists the cluster");

            var e = await FailsAsync(ApiClient(host).CapacityAsync(new CapacityRequest(), Bearer("alice-token")));

            Assert.That(e.StatusCode, Is.EqualTo(StatusCode.Unavailable), e.Status.Detail);
            Assert.That(e.Status.Detail, Does.StartWith("could not check the caller with the API server (TokenReview): no answer within 10 s"));
        }
        finally
        {
            await host.StopAsync();
            await host.DisposeAsync();
        }
    }

    [Test]
    public async Task With_audiences_set_only_tokens_made_for_them_are_accepted()
    {
        SeedCluster();
        var options = WithTokens();
        options.GrpcAuthentication.Audiences = ["quorum"];
        var host = await StartHostAsync(options);
        var client = ApiClient(host);

        var carol = await client.CapacityAsync(new CapacityRequest(), Bearer("carol-quorum-token"));
        Assert.That(carol.Cluster.GpuTotal, Is.EqualTo(32));
        // alice's token is for the API server (no --audience): not a credential for Quorum.
        var alice = await FailsAsync(client.CapacityAsync(new CapacityRequest(), Bearer("alice-token")));
        Assert.That(alice.StatusCode, Is.EqualTo(StatusCode.Unauthenticated), alice.Status.Detail);
        Assert.That(alice.Status.Detail, Does.StartWith("invalid bearer token: ").And.Contain("is invalid for the target audiences [quorum]"));
    }

    [Test]
    public async Task WhatIf_manifests_are_authorized_before_their_objects_are_read()
    {
        SeedCluster();
        var host = await StartHostAsync(WithTokens());
        var client = ApiClient(host);
        // Valid YAML, but the pod's quantity is not: only reading the objects would find it.
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata: {name: p, namespace: ml}
            spec: {containers: [{name: c, resources: {requests: {cpu: lots}}}]}
            """;

        var bob = await FailsAsync(client.WhatIfAsync(new WhatIfRequest { Manifests = yaml }, Bearer("bob-token")));
        Assert.That(bob.StatusCode, Is.EqualTo(StatusCode.PermissionDenied), bob.Status.Detail);
        Assert.That(bob.Status.Detail, Does.StartWith("user \"bob\" may not create pods in namespace \"ml\""));

        var alice = await FailsAsync(client.WhatIfAsync(new WhatIfRequest { Manifests = yaml }, Bearer("alice-token")));
        Assert.That(alice.StatusCode, Is.EqualTo(StatusCode.InvalidArgument), alice.Status.Detail);
        Assert.That(alice.Status.Detail, Does.Contain("spec.containers[0].resources.requests.cpu: \"lots\" is not a valid quantity"));
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
        // The server may refuse the call before the request is written: then the write itself throws.
        var refused = Assert.ThrowsAsync<RpcException>(async () =>
        {
            await anonymous.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
            await anonymous.ResponseStream.MoveNext(CancellationToken.None);
        });
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
        // Bearer tokens are credentials: off loopback they travel only over TLS.
        var clear = Assert.Throws<OptionsException>(() => SchedulerOptionsLoader.Parse("grpcBindAddress: 0.0.0.0:10260\ngrpcAuthentication: {mode: kubernetes}\n", "quorum.yaml"));
        Assert.That(clear!.Errors, Is.EqualTo(new[]
        {
            "quorum.yaml: grpcAuthentication.tlsCertFile: \"\" must be set for mode kubernetes on a non-loopback grpcBindAddress: bearer tokens must not travel in clear text",
            "quorum.yaml: grpcAuthentication.tlsKeyFile: \"\" must be set for mode kubernetes on a non-loopback grpcBindAddress: bearer tokens must not travel in clear text",
        }));
        Assert.That(SchedulerOptionsLoader.Parse("grpcBindAddress: 127.0.0.1:10260\ngrpcAuthentication: {mode: kubernetes}\n").GrpcAuthentication.Mode,
            Is.EqualTo("kubernetes"), "on loopback a token does not leave the host");
        var pem = Path.GetTempFileName();
        try
        {
            var tls = SchedulerOptionsLoader.Parse($"grpcBindAddress: 0.0.0.0:10260\ngrpcAuthentication: {{mode: kubernetes, tlsCertFile: {pem}, tlsKeyFile: {pem}, audiences: [quorum]}}\n");
            Assert.That(tls.GrpcAuthentication.Audiences, Is.EqualTo(new[] { "quorum" }));
        }
        finally
        {
            File.Delete(pem);
        }
        var mtls = Assert.Throws<OptionsException>(() => SchedulerOptionsLoader.Parse("grpcAuthentication: {mode: mtls}\n", "quorum.yaml"));
        Assert.That(mtls!.Errors, Is.EqualTo(new[]
        {
            "quorum.yaml: grpcAuthentication.tlsCertFile: \"\" must be set for mode mtls",
            "quorum.yaml: grpcAuthentication.tlsKeyFile: \"\" must be set for mode mtls",
            "quorum.yaml: grpcAuthentication.clientCAFile: \"\" must be set for mode mtls",
        }));
    }
}
