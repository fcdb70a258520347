/** 8-bit interleaved pixels: 3 channels (RGB) or 4 (RGBA, straight alpha). */
export interface Raster {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}
