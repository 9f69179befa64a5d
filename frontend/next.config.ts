import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  // Served behind Traefik: /api and /demos/* belong to other services on the same origin.
};

export default nextConfig;
