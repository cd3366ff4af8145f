# syntax=docker/dockerfile:1
#
# CPU image of the Recurring daemon (libtorch CPU is bundled in the publish output, ~460 MB).
#   docker build -t recurring:0.1.0 .
#   docker run --stop-timeout 600 -p 8080:8080 -v recurring-data:/var/lib/recurring recurring:0.1.0
# For CUDA training build Dockerfile.cuda instead. docs/operations.md has the details.
#
# Both stages use the .NET 10 default tags, which are Ubuntu 24.04: keep them on the same distribution,
# since the published natives are checked against the build stage's libstdc++.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
# RecurringGlibcxxFix=always: the image must not depend on which libstdc++ the build stage happens to have
# (see Directory.Build.targets); the weakened version need is harmless where the version exists.
RUN --mount=type=cache,id=recurring-nuget,target=/root/.nuget/packages \
    dotnet publish src/Daemon/Recurring.Daemon.csproj -c Release -r linux-x64 --self-contained false \
      -p:RecurringGlibcxxFix=always -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# The daemon reads appsettings.json (and the appsettings.<Environment>.json overlay) from here.
WORKDIR /app
COPY --from=build /app ./

# 1654 is the .NET images' non-root "app" user (APP_UID). A fresh Docker volume copies the
# ownership of the image directory it is mounted on, so the state directory is created here.
RUN mkdir -p /var/lib/recurring/checkpoints && chown -R 1654:1654 /var/lib/recurring

# Admin:BindAddress defaults to 127.0.0.1, which nothing outside the container can reach.
# The host waits DOTNET_shutdownTimeoutSeconds for the final checkpoint on SIGTERM; run the container
# with a longer stop timeout (docker run --stop-timeout 600, terminationGracePeriodSeconds in Kubernetes).
ENV DOTNET_ENVIRONMENT=Production \
    DOTNET_shutdownTimeoutSeconds=570 \
    RECURRING_Admin__BindAddress=0.0.0.0 \
    RECURRING_Admin__Port=8080 \
    RECURRING_Checkpoints__Directory=/var/lib/recurring/checkpoints \
    RECURRING_Streaming__DeadLetterFile=/var/lib/recurring/dead-letters.jsonl

USER 1654
EXPOSE 8080
VOLUME ["/var/lib/recurring"]
ENTRYPOINT ["/app/recurring"]
CMD ["run"]
