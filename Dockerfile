# syntax=docker/dockerfile:1
# The scheduler's image:  docker build -t quorum:dev .
# Multi-architecture (arm64 for Grace-based nodes):  docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/quorum:TAG --push .
# The output is framework-dependent IL without an apphost, so one build on the build machine's
# architecture runs on every architecture of the runtime image.

FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from the project files alone first, so a source change does not download packages again.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY Scheduler.Core/Scheduler.Core.csproj Scheduler.Core/
COPY Scheduler/Scheduler.csproj Scheduler/
RUN dotnet restore Scheduler/Scheduler.csproj
COPY Scheduler.Core/ Scheduler.Core/
COPY Scheduler/ Scheduler/
RUN dotnet publish Scheduler/Scheduler.csproj -c Release --no-restore -o /app -p:UseAppHost=false

# Chiselled Ubuntu: the .NET and ASP.NET Core runtimes and nothing else (no shell, no package manager).
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled
WORKDIR /app
COPY --from=build /app ./
# The image's built-in non-root "app" user, by number so runAsNonRoot can verify it; the
# Deployment's runAsUser is the same (Scheduler.Tests/Manifests/DockerfileTests checks it).
USER 1654
# The base image listens on 8080 by default; the scheduler binds healthzBindAddress from its config.
ENV ASPNETCORE_HTTP_PORTS=
EXPOSE 10259 10260
# The runtime image's own entrypoint is /usr/bin/dotnet; by absolute path, nothing depends on PATH.
ENTRYPOINT ["/usr/bin/dotnet", "quorum.dll"]
CMD ["run"]
