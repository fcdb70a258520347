// ioredis-mock mirrors ioredis' client API; its own types package is not a dependency here.
declare module 'ioredis-mock' {
  import type Redis from 'ioredis';
  const RedisMock: typeof Redis;
  export default RedisMock;
}
