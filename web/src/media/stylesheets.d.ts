// Components import their stylesheet for its side effect; Vite bundles it into the app's CSS file.
declare module '*.css';
